"""Lead pipeline automation (SPEC 5, LD-1..LD-6): settings, activities, the leads of a contact, rules."""
