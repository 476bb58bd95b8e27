"""What every kind of participation shares: the translation group participation data is keyed to."""
