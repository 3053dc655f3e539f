"""Independent numpy reference implementations of the potentials, used only by the tests."""
