"""Lifecycle stage automation (SPEC 4, LC-1..LC-5): settings, the stage order and one function per rule."""
