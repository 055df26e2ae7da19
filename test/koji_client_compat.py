#!/usr/bin/env python3
"""Client-compatibility harness for koji-es's /kojihub (issue 11; Python 3 standard library only).

It reimplements, from spec/koji-xmlrpc.md, what koji.ClientSession does on the wire -- session
headers and callnum, the __starstar keyword encoding, the Koji-Version header, multicall, fault ->
exception conversion, AuthExpired renewal, base64-as-string downloads, a parser that refuses DTDs
like defusedxml -- and drives the call sequences of the koji CLI (spec §9) against a hub:

    python3 test/koji_client_compat.py --server http://127.0.0.1:8080/kojihub \\
        --user admin --password PW [--user2 alice --password2 PW2] [scenario ...]

Exit status 0 when every scenario passed; otherwise each failure is printed and the status is 1.
A scenario is a function registered with @scenario; add one per koji command to cover it.
"""

import argparse
import base64
import gzip
import http.client
import json
import pprint
import sys
import time
import traceback
import urllib.parse
import xml.parsers.expat
import xmlrpc.client

CLIENT_VERSION = "1.35.3"
API_VERSION = 1


# ---- koji's exception classes (spec §5; parents from koji-plugins.md §1.11) ----------------------

class GenericError(Exception):
    faultCode = 1000
    fromFault = False


def _fault_class(name, code, parent):
    return type(name, (parent,), {"faultCode": code})


LockError = _fault_class("LockError", 1001, GenericError)
AuthError = _fault_class("AuthError", 1002, GenericError)
TagError = _fault_class("TagError", 1003, GenericError)
ActionNotAllowed = _fault_class("ActionNotAllowed", 1004, GenericError)
BuildError = _fault_class("BuildError", 1005, GenericError)
AuthLockError = _fault_class("AuthLockError", 1006, AuthError)
AuthExpired = _fault_class("AuthExpired", 1007, AuthError)
SequenceError = _fault_class("SequenceError", 1008, AuthError)
RetryError = _fault_class("RetryError", 1009, AuthError)
PreBuildError = _fault_class("PreBuildError", 1010, BuildError)
PostBuildError = _fault_class("PostBuildError", 1011, BuildError)
BuildrootError = _fault_class("BuildrootError", 1012, BuildError)
FunctionDeprecated = _fault_class("FunctionDeprecated", 1013, GenericError)
ServerOffline = _fault_class("ServerOffline", 1014, GenericError)
LiveCDError = _fault_class("LiveCDError", 1015, GenericError)
PluginError = _fault_class("PluginError", 1016, GenericError)
CallbackError = _fault_class("CallbackError", 1017, PluginError)
ApplianceError = _fault_class("ApplianceError", 1018, GenericError)
ParameterError = _fault_class("ParameterError", 1019, GenericError)
ImportError_ = _fault_class("ImportError", 1020, GenericError)
ConfigurationError = _fault_class("ConfigurationError", 1021, GenericError)
LiveMediaError = _fault_class("LiveMediaError", 1022, GenericError)
GSSAPIAuthError = _fault_class("GSSAPIAuthError", 1023, AuthError)
NameValidationError = _fault_class("NameValidationError", 1024, GenericError)

FAULT_CLASSES = {c.faultCode: c for c in [
    GenericError, LockError, AuthError, TagError, ActionNotAllowed, BuildError, AuthLockError,
    AuthExpired, SequenceError, RetryError, PreBuildError, PostBuildError, BuildrootError,
    FunctionDeprecated, ServerOffline, LiveCDError, PluginError, CallbackError, ApplianceError,
    ParameterError, ImportError_, ConfigurationError, LiveMediaError, GSSAPIAuthError,
    NameValidationError]}


def convert_fault(fault):
    """koji.convertFault: a known faultCode becomes its class; anything else stays a Fault."""
    cls = FAULT_CLASSES.get(getattr(fault, "faultCode", None))
    if cls is None:
        return fault
    e = cls(fault.faultString)
    e.fromFault = True
    return e


def describe(e):
    """How the CLI prints an exception: `<ExceptionClass>: <faultString>`."""
    if isinstance(e, xmlrpc.client.Fault):
        return "Fault: %r" % (e,)
    return "%s: %s" % (type(e).__name__, e)


class HTTPError(Exception):
    pass


# ---- the wire: encode_args, marshalling, a defused parser --------------------------------------

def encode_args(*args, **kwargs):
    """koji.encode_args"""
    if kwargs:
        kwargs["__starstar"] = True
        args = args + (kwargs,)
    return args


MAXI8 = 2 ** 63 - 1
MINI8 = -(2 ** 63)


class ExtendedMarshaller(xmlrpc.client.Marshaller):
    """koji.xmlrpcplus.ExtendedMarshaller: ints beyond 32 bits go out as <i8>."""

    dispatch = xmlrpc.client.Marshaller.dispatch.copy()

    def dump_int(self, value, write):
        if value > MAXI8 or value < MINI8:
            raise OverflowError("long int exceeds XML-RPC limits")
        elif value > xmlrpc.client.MAXINT or value < xmlrpc.client.MININT:
            write("<value><i8>%d</i8></value>\n" % value)
        else:
            write("<value><int>%d</int></value>\n" % value)

    dispatch[int] = dump_int


def dumps_call(method, params):
    """koji.xmlrpcplus.dumps for a methodCall (utf-8, allow_none)."""
    data = ExtendedMarshaller("utf-8", allow_none=True).dumps(params)
    return "".join(("<?xml version='1.0'?>\n", "<methodCall>\n<methodName>", method,
                    "</methodName>\n", data, "</methodCall>\n"))


class EntitiesForbidden(ValueError):
    pass


def loads_defused(data):
    """xmlrpc.client.loads behind defusedxml.monkey_patch(): any DTD or entity declaration fails."""
    u = xmlrpc.client.Unmarshaller()
    p = xml.parsers.expat.ParserCreate(None, None)

    def forbid(*_args):
        raise EntitiesForbidden("DTDs and entity declarations are forbidden")

    p.StartDoctypeDeclHandler = forbid
    p.EntityDeclHandler = forbid
    p.UnparsedEntityDeclHandler = forbid
    p.ExternalEntityRefHandler = forbid
    p.StartElementHandler = u.start
    p.EndElementHandler = u.end
    p.CharacterDataHandler = u.data
    u.xml(None, None)  # as xmlrpc.client.ExpatParser: expat already hands over str
    p.Parse(data, True)
    return u.close(), u.getmethodname()


# ---- ClientSession ---------------------------------------------------------------------------

class MultiCallInProgress(object):
    """What a call returns while a legacy multicall is being collected."""


class VirtualMethod(object):
    def __init__(self, func, name):
        self.__func = func
        self.__name = name

    def __getattr__(self, name):
        return VirtualMethod(self.__func, "%s.%s" % (self.__name, name))

    def __call__(self, *args, **kwargs):
        return self.__func(self.__name, args, kwargs)


class ClientSession(object):
    """The wire behaviour of koji.ClientSession (password auth only)."""

    def __init__(self, baseurl, opts=None):
        self.baseurl = baseurl
        self.opts = dict(max_retries=3, retry_interval=0.2, anon_retry=False, renew_session=True)
        self.opts.update(opts or {})
        u = urllib.parse.urlsplit(baseurl)
        self.host, self.port, self.path = u.hostname, u.port or 80, u.path or "/"
        self.conn = None
        self.logged_in = False
        self.sinfo = None
        self.callnum = None
        self.multicall = False
        self._calls = []
        self.hub_version_str = None
        self.hub_version = None
        self.authtype = None
        # What the harness checks besides results: every request sent and every response header.
        self.sent = []
        self.last_headers = {}
        self.last_status = None

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return VirtualMethod(self._callMethod, name)

    # -- sessions --

    def setSession(self, sinfo):
        if sinfo is None:
            self.logged_in = False
            self.callnum = None
        else:
            self.logged_in = True
            self.callnum = 0
        self.sinfo = sinfo

    def login(self, opts=None, renew=False):
        """ClientSession.login: the kwargs the 1.35 client sends (spec §6.1, §6.2)."""
        kwargs = {"opts": opts}
        if renew:
            kwargs.update(renew=True, exclusive=False)
        sinfo = self._callMethod("login", (self.opts["user"], self.opts["password"]), kwargs)
        if not sinfo:
            raise AuthError("Unable to log in, no authentication methods available")
        self.setSession(sinfo)
        self.authtype = 0
        return True

    def logout(self):
        if not self.logged_in:
            return
        try:
            self._callMethod("logout", (), {"session_id": None})
        except ParameterError:
            # an old hub without session_id: logout() with no arguments
            self._callMethod("logout", (), {})
        finally:
            self.setSession(None)

    # -- calls --

    def _prepCall(self, name, args, kwargs):
        args = encode_args(*args, **kwargs)
        handler = self.path
        headers = [("Content-Type", "text/xml"), ("User-Agent", "koji/1"),
                   ("Accept-Encoding", "gzip, deflate"), ("Connection", "keep-alive")]
        if self.logged_in:
            sinfo = dict(self.sinfo)
            sinfo["callnum"] = self.callnum
            self.callnum += 1
            headers += [("Koji-Session-Id", str(sinfo["session-id"])),
                        ("Koji-Session-Key", str(sinfo["session-key"])),
                        ("Koji-Session-Callnum", str(sinfo["callnum"]))]
            if not sinfo.get("header-auth"):
                # an old hub: the session also travels in the query string
                q = urllib.parse.urlencode([("session-id", sinfo["session-id"]),
                                            ("session-key", sinfo["session-key"]),
                                            ("callnum", sinfo["callnum"])])
                handler = "%s?%s" % (handler, q)
        return handler, headers, dumps_call(name, args).encode("utf-8")

    def _post(self, handler, headers, body):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                h = dict(headers)
                h["Content-Length"] = str(len(body))
                self.conn.request("POST", handler, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # a keep-alive connection the server closed: requests reconnects once
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def _sendCall(self, handler, headers, body):
        status, rheaders, data = self._post(handler, headers, body)
        self.sent.append((handler, dict(headers), body))
        self.last_status, self.last_headers = status, rheaders
        if status < 200 or status >= 300:
            raise HTTPError("%s Server Error for url: %s" % (status, handler))
        if rheaders.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        ver = rheaders.get("koji-version")
        if ver:
            self.hub_version_str = ver
            self.hub_version = tuple(int(x) for x in ver.split("."))
        try:
            result, _ = loads_defused(data)
        except xmlrpc.client.Fault as fault:
            raise convert_fault(fault)
        return result[0]

    def _callMethod(self, name, args, kwargs=None):
        kwargs = kwargs or {}
        if self.multicall:
            self._calls.append({"methodName": name, "params": list(encode_args(*args, **kwargs))})
            return MultiCallInProgress()
        handler, headers, body = self._prepCall(name, args, kwargs)
        tries = 0
        while True:
            tries += 1
            try:
                return self._sendCall(handler, headers, body)
            except AuthExpired:
                if name == "login" or not self.opts["renew_session"] or not self.logged_in:
                    raise
                # re-key the session with the old headers, then repeat the call
                self.login(renew=True)
                handler, headers, body = self._prepCall(name, args, kwargs)
            except HTTPError:
                # logged-in calls are re-sent as they were, with the same callnum (spec §2)
                if not self.logged_in and not self.opts["anon_retry"]:
                    raise
                if tries > self.opts["max_retries"]:
                    raise
                time.sleep(self.opts["retry_interval"])

    def multiCall(self, strict=False):
        """The legacy interface: session.multicall = True; calls...; session.multiCall(strict)."""
        if not self.multicall:
            raise GenericError("ClientSession.multicall must be set to True before calling multiCall()")
        self.multicall = False
        calls, self._calls = self._calls, []
        if not calls:
            return []
        results = self._callMethod("multiCall", (calls,), {})
        if strict:
            for r in results:
                if isinstance(r, dict):
                    raise convert_fault(xmlrpc.client.Fault(r["faultCode"], r["faultString"]))
        return results

    def ensure_hub_version(self):
        """What wait-repo and others do when no Koji-Version header was seen (spec §8)."""
        if self.hub_version is None:
            try:
                v = self.getKojiVersion()
            except GenericError as e:
                if "Invalid method" not in str(e):
                    raise
                v = "1.22.0"
            self.hub_version_str = v
            self.hub_version = tuple(int(x) for x in v.split("."))
        return self.hub_version

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---- the CLI's helpers --------------------------------------------------------------------------

def arg_filter(arg):
    """koji_cli.lib.arg_filter: int, then float, then True/False/None, else the string."""
    try:
        return int(arg)
    except ValueError:
        pass
    try:
        return float(arg)
    except ValueError:
        pass
    if arg in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[arg]
    return arg


def ensure_connection(session):
    """koji_cli.lib.ensure_connection"""
    ver = session.getAPIVersion()
    if ver != API_VERSION:
        print("WARNING: The server is at API version %d and the client is at %d" % (ver, API_VERSION))


def activate_session(session):
    session.login()
    ensure_connection(session)


def cmd_version(session):
    """koji version"""
    ensure_connection(session)
    hub = session.getKojiVersion()
    tuple(int(x) for x in hub.split("."))
    return ["Client: %s" % CLIENT_VERSION, "Hub:    %s" % hub]


def cmd_hello(session, server, noauth=False):
    """koji hello / moshimoshi"""
    if noauth:
        ensure_connection(session)
    else:
        activate_session(session)
    user = session.getLoggedInUser()
    lines = []
    if user:
        lines.append("Hello, %s!" % user["name"])
    else:
        lines.append("Hello, anonymous user!")
    lines.append("")
    lines.append("You are using the hub at %s (Koji %s)" % (server, session.hub_version_str))
    authtype = user and user.get("authtype")
    if user is None:
        lines.append("Not authenticated")
    elif authtype == 0:
        lines.append("Authenticated via password")
    else:
        lines.append("Authenticated via %r" % authtype)
    session.logout()
    return lines


def cmd_list_api(session, method=None):
    """koji list-api [METHOD]"""
    ensure_connection(session)
    if method:
        help_text = session.system.methodHelp(method)
        if not help_text:
            raise GenericError("Unknown method: %s" % method)
        return help_text.split("\n")
    lines = []
    for x in sorted(session._listapi(), key=lambda x: x["name"]):
        if "argdesc" in x:
            args = x["argdesc"]
        elif x["args"]:
            expanded = []
            for arg in x["args"]:
                expanded.append(arg if isinstance(arg, str) else "%s=%s" % (arg[0], arg[1]))
            args = "(%s)" % ", ".join(expanded)
        else:
            args = "()"
        lines.append("%s%s" % (x["name"], args))
        if x["doc"]:
            lines.append("  description: %s" % x["doc"])
    return lines


def cmd_call(session, name, words, noauth=False, json_output=False):
    """koji call NAME ARG... [KEY=VALUE...]"""
    if noauth:
        ensure_connection(session)
    else:
        activate_session(session)
    args, kwargs = [], {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            kwargs[k] = arg_filter(v)
        else:
            args.append(arg_filter(w))
    try:
        response = getattr(session, name).__call__(*args, **kwargs)
    finally:
        if not noauth:
            session.logout()
    if json_output:
        return json.dumps(response, indent=2, separators=(",", ": ")).split("\n")
    return pprint.pformat(response).split("\n")


# ---- scenarios -----------------------------------------------------------------------------------

SCENARIOS = []


def scenario(f):
    SCENARIOS.append(f)
    return f


class Check(object):
    def __init__(self, name):
        self.name = name
        self.failures = []

    def that(self, cond, message):
        if not cond:
            self.failures.append(message)
        return cond

    def equal(self, actual, expected, what):
        return self.that(actual == expected, "%s: expected %r, got %r" % (what, expected, actual))

    def raises(self, cls, fn, text=None, what=""):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - the point is to look at what came back
            ok = self.that(type(e) is cls, "%s: expected %s, got %s" % (what, cls.__name__, describe(e)))
            if ok and text is not None:
                self.that(text in str(e), "%s: %r not in %r" % (what, text, str(e)))
            return e
        self.failures.append("%s: expected %s, nothing was raised" % (what, cls.__name__))
        return None


def new_session(ctx, user=None, password=None, **opts):
    o = dict(user=user or ctx.user, password=password or ctx.password)
    o.update(opts)
    return ClientSession(ctx.server, o)


def check_wire(check, s, logged_in_calls):
    """What every logged-in request carried: the headers, and callnums 0, 1, 2… in order."""
    nums = [int(h["Koji-Session-Callnum"]) for _, h, _ in s.sent if "Koji-Session-Callnum" in h]
    check.equal(nums, list(range(logged_in_calls)), "callnums sent")
    for handler, h, body in s.sent:
        check.equal(h.get("Content-Type"), "text/xml", "request Content-Type")
        check.that(body.startswith(b"<?xml version='1.0'?>\n<methodCall>\n"), "request preamble")
    check.equal(s.last_headers.get("koji-version"), s.hub_version_str, "Koji-Version header")


@scenario
def version(ctx, check):
    """koji version: getAPIVersion, getKojiVersion; dotted integers; the Koji-Version header."""
    s = new_session(ctx)
    out = cmd_version(s)
    check.equal(out[0], "Client: %s" % CLIENT_VERSION, "client line")
    check.that(out[1].startswith("Hub:    "), "hub line: %r" % out[1])
    hub = out[1][len("Hub:    "):]
    check.equal(s.hub_version_str, hub, "Koji-Version header = getKojiVersion()")
    check.that(s.hub_version >= (1, 35), "hub_version %r parses and is >= 1.35" % (s.hub_version,))
    check.equal(s.sent[0][1]["User-Agent"], "koji/1", "User-Agent")
    check.that(all("Koji-Session-Id" not in h for _, h, _ in s.sent), "anonymous: no session headers")
    s.close()


@scenario
def hello(ctx, check):
    """koji hello: login → getAPIVersion → getLoggedInUser → logout({session_id: None})."""
    s = new_session(ctx)
    lines = cmd_hello(s, ctx.server)
    check.equal(lines[0], "Hello, %s!" % ctx.user, "greeting")
    check.equal(lines[2], "You are using the hub at %s (Koji %s)" % (ctx.server, s.hub_version_str), "hub line")
    check.equal(lines[3], "Authenticated via password", "authtype line")
    methods = [xmlrpc.client.loads(b)[1] for _, _, b in s.sent]
    check.equal(methods, ["login", "getAPIVersion", "getLoggedInUser", "logout"], "call sequence")
    login_params = xmlrpc.client.loads(s.sent[0][2])[0]
    check.equal(login_params, (ctx.user, ctx.password, {"opts": None, "__starstar": True}), "login params")
    check.that("Koji-Session-Id" not in s.sent[0][1], "login carries no session headers")
    logout_params = xmlrpc.client.loads(s.sent[-1][2])[0]
    check.equal(logout_params, ({"session_id": None, "__starstar": True},), "logout params")
    check_wire(check, s, 3)
    s.close()
    anon = new_session(ctx)
    lines = cmd_hello(anon, ctx.server, noauth=True)
    check.equal(lines[0], "Hello, anonymous user!", "--noauth greeting")
    check.equal(lines[3], "Not authenticated", "--noauth authtype line")
    anon.close()


@scenario
def list_api(ctx, check):
    """koji list-api, koji list-api METHOD."""
    s = new_session(ctx)
    lines = cmd_list_api(s)
    names = [l.split("(")[0] for l in lines if not l.startswith("  ")]
    check.equal(names, sorted(names), "sorted by name")
    for m in ("login", "logout", "getLoggedInUser", "getAPIVersion", "getKojiVersion", "_listapi",
              "system.listMethods", "system.methodHelp", "exclusiveSession", "sharedSession"):
        check.that(m in names, "list-api lists %s" % m)
    check.that("login(user, password, opts=None, renew=False, exclusive=False)" in lines, "login signature")
    for x in s._listapi():
        for key in ("name", "doc", "argspec", "argdesc", "args"):
            check.that(key in x, "_listapi entry %s has %s" % (x.get("name"), key))
        built = []
        for arg in x["args"]:
            built.append(arg if isinstance(arg, str) else "%s=%s" % (arg[0], arg[1]))
        if not x["argdesc"].startswith("(" + ", ".join(built)):
            check.that(False, "%s: args %r disagree with argdesc %r" % (x["name"], x["args"], x["argdesc"]))
    help_lines = cmd_list_api(s, "login")
    check.equal(help_lines[0], "login(user, password, opts=None, renew=False, exclusive=False)", "methodHelp")
    check.that(help_lines[1].startswith("description: "), "methodHelp description")
    check.raises(GenericError, lambda: cmd_list_api(s, "nonesuch"), "Unknown method: nonesuch",
                 "list-api of an unknown method")
    s.close()


@scenario
def call(ctx, check):
    """koji call: arg_filter, kwargs as __starstar, pprint and --json-output."""
    s = new_session(ctx)
    out = cmd_call(s, "getUser", [ctx.user, "strict=True", "krb_princs=False"])
    user = eval("\n".join(out))  # pprint output of a dict of plain values
    check.equal(user.get("name"), ctx.user, "call getUser")
    params = xmlrpc.client.loads(s.sent[2][2])[0]
    check.equal(params, (ctx.user, {"strict": True, "krb_princs": False, "__starstar": True}), "kwargs sent")
    check_wire(check, s, 3)
    s.close()
    s = new_session(ctx)
    out = cmd_call(s, "getLoggedInUser", [], json_output=True)
    check.equal(json.loads("\n".join(out))["name"], ctx.user, "call --json-output getLoggedInUser")
    s.close()
    s = new_session(ctx)
    check.equal(cmd_call(s, "getAPIVersion", [], noauth=True), ["1"], "call --noauth getAPIVersion")
    check.equal(cmd_call(s, "getUser", ["1"], noauth=True)[0][:1], "{", "arg_filter turns 1 into an int")
    s.close()
    s = new_session(ctx)
    check.raises(GenericError, lambda: cmd_call(s, "getUser", ["nobody-at-all", "strict=True"]),
                 "No such user: 'nobody-at-all'", "call getUser strict on nobody")
    s.close()
    s = new_session(ctx)
    check.raises(ParameterError, lambda: cmd_call(s, "getUser", ["suffix=x"]),
                 "got an unexpected keyword argument 'suffix'", "call with an unknown kwarg")
    check.raises(GenericError, lambda: cmd_call(s, "frobnicate", []), "Invalid method: frobnicate",
                 "call an unknown method")
    s.close()


@scenario
def faults(ctx, check):
    """Faults in HTTP 200 replies, converted to koji's classes; unknown codes stay a Fault."""
    s = new_session(ctx)
    e = check.raises(ActionNotAllowed, lambda: s.createUser("someone"),
                     "admin permission required (user not logged in)", "anonymous createUser")
    check.equal(s.last_status, 200, "faults come with HTTP 200")
    check.that(e is None or e.fromFault, "converted from a fault")
    check.raises(AuthError, lambda: new_session(ctx, password="wrong-password").login(),
                 "invalid username or password", "login with a wrong password")
    check.raises(ParameterError, lambda: s.getKojiVersion(1),
                 "getKojiVersion() takes 0 positional arguments but 1 was given", "too many positional arguments")
    check.raises(SequenceError, lambda: replay_lower_callnum(ctx), "> 0 (session", "a callnum going backwards")
    s.close()


def replay_lower_callnum(ctx):
    s = new_session(ctx)
    activate_session(s)
    s.getLoggedInUser()
    s.callnum = 0
    try:
        s.getLoggedInUser()
    finally:
        s.logout()
        s.close()


@scenario
def multicall(ctx, check):
    """session.multicall = True … session.multiCall(strict=…): one request, one callnum (spec §7)."""
    s = new_session(ctx)
    activate_session(s)
    s.multicall = True
    check.that(isinstance(s.getAPIVersion(), MultiCallInProgress), "calls are collected")
    s.getUser(ctx.user, strict=True)
    s.frobnicate()
    s.getLoggedInUser()
    results = s.multiCall()
    check.equal(len(s.sent), 3, "login, getAPIVersion, then one multiCall request")
    check.equal(xmlrpc.client.loads(s.sent[-1][2])[1], "multiCall", "sent as multiCall")
    check.equal(results[0], [API_VERSION], "success is a one-element list")
    check.equal(results[1][0]["name"], ctx.user, "kwargs inside a multicall")
    check.equal(results[2], {"faultCode": 1000, "faultString": "Invalid method: frobnicate"}, "a fault entry")
    check.equal(results[3][0]["name"], ctx.user, "later calls still run")
    s.multicall = True
    s.getAPIVersion()
    s.frobnicate()
    check.raises(GenericError, lambda: s.multiCall(strict=True), "Invalid method: frobnicate",
                 "strict raises the first fault")
    check.equal(s.getAPIVersion(), API_VERSION, "the session goes on after a multicall")
    check_wire(check, s, 4)
    s.logout()
    s.close()


@scenario
def legacy_session(ctx, check):
    """A login reply without header-auth: the client adds ?session-id=&session-key=&callnum=."""
    s = new_session(ctx)
    s.login()
    s.sinfo = dict(s.sinfo)
    s.sinfo["header-auth"] = False
    check.equal(s.getLoggedInUser()["name"], ctx.user, "query-string session (with headers)")
    handler = s.sent[-1][0]
    check.that("?session-id=" in handler and "&callnum=0" in handler, "query string sent: %s" % handler)
    # The hub must also read the query string alone, as an old client sends nothing else.
    q = urllib.parse.urlencode([("session-id", s.sinfo["session-id"]), ("session-key", s.sinfo["session-key"]),
                                ("callnum", 5)])
    status, _, data = s._post("%s?%s" % (s.path, q), [("Content-Type", "text/xml")],
                              dumps_call("getLoggedInUser", ()).encode())
    check.equal(status, 200, "query-string-only status")
    check.equal(loads_defused(data)[0][0]["name"], ctx.user, "query-string-only session")
    s.callnum = 6
    s.logout()
    s.close()


@scenario
def hardened(ctx, check):
    """The hub refuses DTDs with a fault; the client parser refuses them in replies."""
    s = new_session(ctx)
    status, headers, data = s._post(s.path, [("Content-Type", "text/xml")],
                                    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'
                                    b"<methodCall><methodName>&a;</methodName></methodCall>")
    check.equal(status, 200, "a refused body still gets HTTP 200")
    try:
        loads_defused(data)
        check.that(False, "expected a fault for a DOCTYPE")
    except xmlrpc.client.Fault as f:
        check.equal(f.faultCode, 1000, "fault code for a DOCTYPE")
    try:
        loads_defused(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><methodResponse/>')
        check.that(False, "the client parser must refuse a DTD")
    except EntitiesForbidden:
        pass
    s.close()


@scenario
def expired(ctx, check):
    """AuthExpired → login(renew=True) with the old headers → the call is repeated (needs --expire-after)."""
    if not ctx.expire_after:
        return "skipped (no --expire-after)"
    s = new_session(ctx)
    activate_session(s)
    old = dict(s.sinfo)
    time.sleep(ctx.expire_after)
    user = s.getLoggedInUser()
    check.equal(user and user["name"], ctx.user, "the call succeeded after renewal")
    methods = [xmlrpc.client.loads(b)[1] for _, _, b in s.sent]
    check.equal(methods[-3:], ["getLoggedInUser", "login", "getLoggedInUser"], "renew sequence")
    renew_headers = s.sent[-2][1]
    check.equal(renew_headers.get("Koji-Session-Id"), str(old["session-id"]), "renew carries the old session id")
    check.equal(xmlrpc.client.loads(s.sent[-2][2])[0][2],
                {"opts": None, "renew": True, "exclusive": False, "__starstar": True}, "renew kwargs")
    check.equal(s.sinfo["session-id"], old["session-id"], "the same session, re-keyed")
    check.that(s.sinfo["session-key"] != old["session-key"], "a new key")
    check.equal(s.sent[-1][1].get("Koji-Session-Callnum"), "0", "callnum restarts at 0 after the login")
    s.logout()
    s.close()


@scenario
def download(ctx, check):
    """runroot's log download: listTaskOutput(all_volumes) then downloadTaskOutput → base64 text (spec §9)."""
    if not ctx.download_task:
        return "skipped (no --download-task)"
    s = new_session(ctx)
    ensure_connection(s)
    files = s.listTaskOutput(ctx.download_task, all_volumes=True)
    check.that(ctx.download_file in files, "listTaskOutput lists %s: %r" % (ctx.download_file, files))
    out = b""
    for volume in files.get(ctx.download_file, []):
        kw = {"offset": 0, "size": -1}
        if volume != "DEFAULT":
            kw["volume"] = volume
        chunk = s.downloadTaskOutput(ctx.download_task, ctx.download_file, **kw)
        if not check.that(isinstance(chunk, str), "downloadTaskOutput returns a string, not %s" % type(chunk).__name__):
            break
        out += base64.b64decode(chunk)
    check.equal(out, base64.b64decode(ctx.download_expect), "downloaded bytes")
    s.close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", required=True, help="the hub URL, e.g. http://127.0.0.1:8080/kojihub")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--expire-after", type=float, default=0,
                   help="seconds after which a session has expired (the expired scenario)")
    p.add_argument("--download-task", type=int, default=0)
    p.add_argument("--download-file", default="runroot.log")
    p.add_argument("--download-expect", default="", help="the file's expected bytes, base64")
    p.add_argument("scenarios", nargs="*", help="names to run (default: all)")
    ctx = p.parse_args(argv)
    known = dict((f.__name__, f) for f in SCENARIOS)
    unknown = [n for n in ctx.scenarios if n not in known]
    if unknown:
        p.error("unknown scenarios: %s (known: %s)" % (", ".join(unknown), ", ".join(known)))
    failed = 0
    for f in SCENARIOS:
        if ctx.scenarios and f.__name__ not in ctx.scenarios:
            continue
        check = Check(f.__name__)
        try:
            note = f(ctx, check)
        except Exception as e:  # noqa: BLE001 - a scenario that blows up is a failure, with its trace
            check.failures.append("%s\n%s" % (describe(e), traceback.format_exc()))
            note = None
        if check.failures:
            failed += 1
            print("FAIL %s" % f.__name__)
            for msg in check.failures:
                print("  - %s" % msg)
        else:
            print("ok   %s%s" % (f.__name__, " (%s)" % note if note else ""))
    print("%d scenario(s) failed" % failed if failed else "all scenarios passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
