"""The local composition: one instance of the whole stack on loopback, run by supervisord."""
