"""The lifecycle and lead automation function: records-stream changes routed to the LC and LD rules."""
