"""Client–professional dyads: pairing, agreement per wave, reliable change, alerts, caseloads, sheets' data."""
