"""Standard OAuth 2.0 protocols, with nothing of Skytells in them.

``device_grant`` (RFC 8628: the requests' answers, checked and classified),
``device_poller`` (RFC 8628 section 3.4-3.5: waiting for the approval) and
``oauth`` (RFC 8414 discovery, refresh, RFC 7009 revocation, OpenID Connect
userinfo). They build on the transport (``skytells.net.http``, ``skytells.safety.urls``)
and are used by the service layer (``skytells.net.console_api``) and above.
"""
