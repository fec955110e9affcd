# earshot test tooling: a Gajim 1.7 plugin that answers every incoming Jingle audio call by itself, as if the
# user had pressed "Accept", so that a headless Gajim can be called by earshot. It logs lines that
# src/interop/gajim-peer.ts waits for, each starting with "earshot:":
#   earshot: signed in as <jid> av=<True|False>
#   earshot: accepted <sid> from <full jid> media=<audio,...>
#   earshot: connected <sid> media=<audio>
#   earshot: ended <sid> reason=<reason>
#   earshot: error <sid> reason=<reason>       (a session-terminate whose reason is not success)
#   earshot: not accepted <sid> from <full jid> reason=<why>
# Gajim loads the first class in this module (in name order) that derives from GajimPlugin; names that sort
# before it must not be modules, hence the lower-case imports.
import logging

from gajim.common import app as gajim_app
from gajim.common import ged as gajim_ged
from gajim.plugins import GajimPlugin
from gi.repository import GLib as glib

log = logging.getLogger('gajim.p.earshot_autoanswer')


class EarshotAutoAnswerPlugin(GajimPlugin):
    def init(self) -> None:
        self.description = 'Accepts incoming Jingle audio calls at once (earshot test tooling).'
        self.config_dialog = None
        # After Gajim's CallManager (GUI2) has taken the call as its current one: accept_call() relies on that.
        self.events_handlers = {
            'signed-in': (gajim_ged.POSTGUI, self._on_signed_in),
            'jingle-request-received': (gajim_ged.POSTGUI, self._on_request),
            'jingle-connected-received': (gajim_ged.POSTGUI, self._on_connected),
            'jingle-disconnected-received': (gajim_ged.POSTGUI, self._on_disconnected),
            'jingle-error-received': (gajim_ged.POSTGUI, self._on_error),
        }

    def _on_signed_in(self, event) -> None:
        jid = gajim_app.get_jid_from_account(event.account)
        log.info('earshot: signed in as %s av=%s', jid, gajim_app.is_installed('AV'))

    def _on_request(self, event) -> None:
        media = sorted({content.media for content in event.contents})
        if 'audio' not in media:
            return
        # Accepting from inside the event's dispatch would run before the GUI handlers that follow it.
        glib.idle_add(self._accept, event.jingle_session, event.fjid, media)

    def _accept(self, session, fjid: str, media: list) -> bool:
        if gajim_app.call_manager.get_active_call_jid() is None:
            log.info('earshot: not accepted %s from %s reason=Gajim holds no call for it', session.sid, fjid)
            return False
        gajim_app.call_manager.accept_call(session)
        log.info('earshot: accepted %s from %s media=%s', session.sid, fjid, ','.join(media))
        return False  # once

    def _on_connected(self, event) -> None:
        log.info('earshot: connected %s media=%s', event.sid, event.media)

    def _on_disconnected(self, event) -> None:
        log.info('earshot: ended %s reason=%s', event.sid, event.reason)

    def _on_error(self, event) -> None:
        log.info('earshot: error %s reason=%s', event.sid, event.reason)
