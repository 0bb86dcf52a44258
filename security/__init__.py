"""Privacy and access: payload encryption, the codec server, the staff directory."""
