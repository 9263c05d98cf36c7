"""The study design: the study file, roles, waves and ids, long and wide layouts, the one read path."""
