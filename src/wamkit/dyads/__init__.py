"""Client–professional dyads: pairing, agreement, change, alerts, reflection sheets."""
