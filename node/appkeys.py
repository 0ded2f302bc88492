"""Typed keys for state kept on the aiohttp application."""

from aiohttp import web

from node.federation.service import Federation
from node.node import Node

NODE = web.AppKey("node", Node)
FEDERATION = web.AppKey("federation", Federation)
