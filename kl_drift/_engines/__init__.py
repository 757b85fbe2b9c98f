"""Counting in other engines (SQL, Spark): the aggregate plan they share. No engine imports here."""
