"""Shared test paths. Everything under test is built by `make` first."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
