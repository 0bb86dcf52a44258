-- The ICR store (notice ledger, inbound mail, triage, documents) beside Temporal's own
-- databases; run once by the postgres image when its data volume is first created.
CREATE DATABASE icr_store;
