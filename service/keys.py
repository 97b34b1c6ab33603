"""Typed keys of what the application holds (aiohttp's web.AppKey)."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from dossiers.lookup import DossierLookup
from dossiers.mirror import MirrorDossierSource
from knowledge.gaps import GapLog
from knowledge.resolve import ProcedureResolver
from knowledge.search import ProcedureSearch
from notifier.api_keys import ApiKey
from notifier.ingest import Ingestor
from notifier.replay import ReplayGuard
from notifier.store import NotificationStore
from service.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
SEARCH = web.AppKey("search", ProcedureSearch)
RESOLVER = web.AppKey("resolver", ProcedureResolver)
GAPS = web.AppKey("gaps", GapLog)
RASA_SESSION = web.AppKey("rasa_session", aiohttp.ClientSession)
STORE = web.AppKey("store", NotificationStore)
INGESTOR = web.AppKey("ingestor", Ingestor)
API_KEYS = web.AppKey("api_keys", list[ApiKey])
REPLAY_GUARD = web.AppKey("replay_guard", ReplayGuard)
MIRROR = web.AppKey("mirror", MirrorDossierSource)
DOSSIER_LOOKUP = web.AppKey("dossier_lookup", DossierLookup)
