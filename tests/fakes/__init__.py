"""Fake model servers (real HTTP on 127.0.0.1, scripted per test) and the network guard."""
