"""The shared store: documents, the inbound mail queue, triage and the notice ledger."""
