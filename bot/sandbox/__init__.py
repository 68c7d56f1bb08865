"""Local stand-ins for the outside world (a registry today) that the demo and the tests run for real."""
