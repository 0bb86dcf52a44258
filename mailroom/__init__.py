"""The SRO mailbox gateway: mail in, cases started and decided, replies out."""
