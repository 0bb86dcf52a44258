"""Activities: every side effect of a case (e-mail, settings) lives here."""
