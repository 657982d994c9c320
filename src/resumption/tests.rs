// Unit tests for the resumption module (written with the implementation).
