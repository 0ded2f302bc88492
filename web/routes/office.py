"""Running the hub from the browser: email settings with a test email, inviting members
by a one-time link (emailed, or handed over with its QR code), and the invitee's first
visit, where they sign the charter and choose a password."""

from __future__ import annotations

from aiohttp import web

from node.accounts.charter import PRIVACY_TEXT, PRIVACY_VERSION
from node.accounts.invitations import INVITE_DAYS
from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.mail_setup import SECURITY
from web.cookies import set_cookie
from web.flash import done
from web.forms import refusals_on, text, texts
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render, when
from web.routes import Route
from web.routes.organise import qr_data_uri

# -- email -----------------------------------------------------------------------

_MAIL_FIELDS = ("host", "port", "security", "username", "sender")


async def _email_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    current = await node.mail_setup.form()
    if request.method == "POST" and request.path == "/organise/email":
        form = texts(await request.post(), _MAIL_FIELDS)
    else:
        form = {
            "host": current.host,
            "port": str(current.port),
            "security": current.security,
            "username": current.username,
            "sender": current.sender,
        }
    context = {
        "form": form,
        "errors": errors or [],
        "security": SECURITY,
        "has_password": current.has_password,
        "source": current.source,
        "me": request[MEMBER].email or "",
    }
    return render(request, "email_settings.html", context, status=status)


async def email_page(request: web.Request) -> web.Response:
    return await _email_page(request)


@refusals_on(_email_page)
async def save_email(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    await node.mail_setup.save(
        request[MEMBER],
        host=text(form, "host"),
        port=text(form, "port"),
        security=text(form, "security"),
        username=text(form, "username"),
        # Not trimmed: a password may begin or end with a space.
        password=str(form.get("password", "")),
        sender=text(form, "sender"),
    )
    raise done(request, "/organise/email", _("Email settings saved. They apply now."))


@refusals_on(_email_page)
async def test_email(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    member = request[MEMBER]
    await node.mail_setup.send_test(member, member.email or "")
    raise done(
        request, "/organise/email", _("Test email sent: look in your inbox (and its spam folder).")
    )


@refusals_on(_email_page)
async def forget_email(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    await node.mail_setup.forget(request[MEMBER])
    raise done(request, "/organise/email", _("The settings saved here are gone."))


# -- invitations -----------------------------------------------------------------


async def _invitations_page(
    request: web.Request,
    *,
    errors: list[str] | None = None,
    status: int = 200,
    made: tuple[str, bool] | None = None,
) -> web.Response:
    node = request.config_dict[NODE]
    form = texts(await request.post(), ("name", "email")) if errors else {}
    invitations = [
        {
            "ref": i.ref,
            "who": i.name or i.email or "Someone",
            "email": i.email,
            "made": when(i.created_at),
            "expires": when(i.expires_at),
        }
        for i in await node.invitations.open(request[MEMBER])
    ]
    context = {
        "form": form,
        "errors": errors or [],
        "invitations": invitations,
        "link": made[0] if made else None,
        "emailed": made[1] if made else False,
        "qr": qr_data_uri(made[0]) if made else None,
        "days": INVITE_DAYS,
        "email_set_up": node.notices.mail is not None,
    }
    return render(request, "invitations.html", context, status=status)


async def invitations_page(request: web.Request) -> web.Response:
    return await _invitations_page(request)


@refusals_on(_invitations_page)
async def invite(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    made = await node.invitations.invite(request[MEMBER], text(form, "name"), text(form, "email"))
    # Shown once, on this answer to the POST: the link is a secret nobody can see again.
    return await _invitations_page(request, made=made)


async def cancel_invitation(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    await node.invitations.cancel(request[MEMBER], request.match_info["invitation_id"])
    raise done(
        request, "/organise/invitations", _("Invitation cancelled: its link no longer works.")
    )


# -- the invitee's first visit ------------------------------------------------------


def _token(request: web.Request) -> str:
    token = request.match_info["token"]
    if len(token) > 100:
        raise web.HTTPNotFound()
    return token


async def _accept_page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    pending = await node.invitations.pending(_token(request))
    if pending is None:
        return render(
            request,
            "message.html",
            {
                "heading": _("This invitation cannot be used"),
                "paragraphs": [
                    _(
                        "It has been used already, cancelled, or has expired. Ask the organiser"
                        " who invited you for a new one."
                    )
                ],
                "link": {"href": "/", "text": _("Back to the start page")},
            },
            status=404,
        )
    if request.method == "POST":
        form = texts(await request.post(), ("name", "email"))
    else:
        form = {"name": pending.name or "", "email": pending.email or ""}
    charter = await node.governance.charter()
    context = {
        "form": form,
        "errors": errors or [],
        "charter_title": charter.title,
        "charter_text": charter.text,
        "charter_version": charter.version,
        "privacy_text": PRIVACY_TEXT,
        "privacy_version": PRIVACY_VERSION,
    }
    return render(request, "invite_accept.html", context, status=status)


async def accept_form(request: web.Request) -> web.Response:
    return await _accept_page(request)


@refusals_on(_accept_page)
async def accept(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    form = await request.post()
    charter = await node.governance.charter()
    member = await node.invitations.accept(
        _token(request),
        name=text(form, "name"),
        email=text(form, "email"),
        password=str(form.get("password", "")),
        signed_charter=text(form, "sign_charter") == "yes",
        accepted_privacy=text(form, "accept_privacy") == "yes",
        charter_version=charter.version,
    )
    token = await node.sessions.start(member.id)
    welcome = _("Welcome to the hub, %(name)s: you are a member now.") % {"name": member.name}
    response = done(request, "/dashboard", welcome)
    set_cookie(response, request, "hubnet_session", token)
    raise response


ROUTES = [
    Route("GET", "/organise/email", email_page, Permission.SET_UP_HUB),
    Route("POST", "/organise/email", save_email, Permission.SET_UP_HUB),
    Route("POST", "/organise/email/test", test_email, Permission.SET_UP_HUB),
    Route("POST", "/organise/email/forget", forget_email, Permission.SET_UP_HUB),
    Route("GET", "/organise/invitations", invitations_page, Permission.MANAGE_MEMBERS),
    Route("POST", "/organise/invitations", invite, Permission.MANAGE_MEMBERS),
    Route(
        "POST",
        "/organise/invitations/{invitation_id}/cancel",
        cancel_invitation,
        Permission.MANAGE_MEMBERS,
    ),
    Route("GET", "/invite/{token}", accept_form, None),
    Route("POST", "/invite/{token}", accept, None),
]
