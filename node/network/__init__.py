"""The network this hub belongs to: its roster, the hub's witnesses, sealed reveals."""
