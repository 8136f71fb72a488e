"""Who is asking, and what they may see (SPEC 6, T-5): users, teams, the request's principal, and the
one visibility rule for tickets."""
