#!/usr/bin/env python3
"""Client-compatibility harness for koji-es's /kojihub (issue 11; Python 3 standard library only).

It reimplements, from spec/koji-xmlrpc.md, what koji.ClientSession does on the wire -- session
headers and callnum, the __starstar keyword encoding, the Koji-Version header, multicall, fault ->
exception conversion, AuthExpired renewal, base64-as-string downloads, a parser that refuses DTDs
like defusedxml -- and drives the call sequences of the koji CLI (spec §9) against a hub:

    python3 test/koji_client_compat.py --server http://127.0.0.1:8080/kojihub \\
        --user admin --password PW [--user2 alice --password2 PW2] [scenario ...]

The plugin scenarios (add_sidetag … wait_repo) need state a hub with a builder provides, passed as
--user2/--password2 (runroot permission), --user3/--password3 (no permissions), --basetag, --target,
--failed-task and --free-task; test/e2e/koji-client-plugins.test.ts makes it. Without it they skip.

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


# ---- the plugin commands and the commands around them (spec §9) -------------------------------
#
# Each cmd_* reproduces, call by call, what the koji 1.35 CLI function named in its docstring sends.
# They return (exit status, output lines) instead of printing; parser.error becomes UsageError
# (exit 2) and sys.exit(N) becomes CLIExit(N).

TASK_STATES = {0: "FREE", 1: "OPEN", 2: "CLOSED", 3: "CANCELED", 4: "ASSIGNED", 5: "FAILED"}
BUILDDIR = "/var/lib/mock"


class UsageError(Exception):
    """parser.error(msg): usage on stderr, `koji: error: <msg>`, exit 2 (no logout)."""
    status = 2


class CLIExit(Exception):
    """sys.exit(status) inside a command (no logout)."""

    def __init__(self, status):
        Exception.__init__(self, "exit %s" % status)
        self.status = status


def methods_sent(s, start=0):
    return [xmlrpc.client.loads(b)[1] for _, _, b in s.sent[start:]]


def params_sent(s, index):
    return xmlrpc.client.loads(s.sent[index][2])[0]


def task_label(info):
    """koji.taskLabel: `method (extra)`, extra from the request for a few methods, else the arch."""
    method, arch, extra = info["method"], info["arch"], ""
    if method == "buildArch" and "request" in info:
        srpm, _tag, arch = info["request"][:3]
        extra = "%s, %s" % (srpm.rsplit("/", 1)[-1], arch)
    elif method in ("newRepo", "distRepo") and "request" in info:
        extra = str(info["request"][0])
    return "%s (%s)" % (method, extra or arch)


def task_path(topdir, task_id, volume="DEFAULT"):
    """koji.PathInfo(topdir).task(id, volume): work/tasks/<id % 10000>/<id>, vol/<V>/ for other volumes."""
    base = topdir if volume in (None, "DEFAULT") else "%s/vol/%s" % (topdir, volume)
    return "%s/work/tasks/%d/%d" % (base, task_id % 10000, task_id)


def list_task_output_all_volumes(session, task_id):
    """koji_cli.lib.list_task_output_all_volumes"""
    try:
        return session.listTaskOutput(task_id, all_volumes=True)
    except GenericError as e:
        if "got an unexpected keyword argument" not in str(e):
            raise
    return dict([fn, ["DEFAULT"]] for fn in session.listTaskOutput(task_id))


def download_task_output(session, task_id, name, offset=0, size=-1, volume=None):
    """ClientSession.downloadTaskOutput: offset/size always, volume unless DEFAULT; b64decode."""
    kw = {"offset": offset, "size": size}
    if volume and volume != "DEFAULT":
        kw["volume"] = volume
    result = session._callMethod("downloadTaskOutput", (task_id, name), kw)
    if not isinstance(result, str):
        # base64.b64decode(Binary) is a TypeError in the real client
        raise TypeError("argument should be a bytes-like object or ASCII string, not '%s'" % type(result).__name__)
    return base64.b64decode(result)


class TaskWatcher(object):
    """koji_cli.lib.TaskWatcher"""

    def __init__(self, task_id, session, out, level=0, quiet=False, topurl=None):
        self.id, self.session, self.out = task_id, session, out
        self.info, self.level, self.quiet, self.topurl = None, level, quiet, topurl

    def str(self):
        if self.info:
            return "%s%d %s" % ("  " * self.level, self.id, task_label(self.info))
        return "%s%d" % ("  " * self.level, self.id)

    def get_failure(self):
        if self.info["state"] != 5:
            return ""
        error = None
        try:
            self.session.getTaskResult(self.id)
        except (xmlrpc.client.Fault, GenericError) as e:
            error = e
        if error is None:
            return ""
        return "%s: %s" % (error.__class__.__name__, str(error).strip())

    def update(self):
        if self.is_done():
            return False
        last = self.info
        self.info = self.session.getTaskInfo(self.id, request=True)
        if self.info is None:
            if not self.quiet:
                self.out.append("No such task id: %i" % self.id)
            raise CLIExit(1)
        state = self.info["state"]
        if last:
            if last["state"] != state:
                if not self.quiet:
                    self.out.append("%s: %s -> %s" % (self.str(), self.display_state(last),
                                                      self.display_state(self.info)))
                return True
            return False
        if not self.quiet:
            self.out.append("%s: %s" % (self.str(), self.display_state(self.info, level=self.level)))
        return False

    def is_done(self):
        return self.info is not None and TASK_STATES[self.info["state"]] in ("CLOSED", "CANCELED", "FAILED")

    def is_success(self):
        return self.info is not None and self.info["state"] == 2

    def display_state(self, info, level=0):
        if not info:
            return "unknown"
        if info["state"] == 1:
            if info["host_id"]:
                return "open (%s)" % self.session.getHost(info["host_id"])["name"]
            return "open"
        if info["state"] == 5:
            s = "FAILED: %s" % self.get_failure()
            if self.topurl:
                output = list_task_output_all_volumes(self.session, self.id)
                files = [(f, v) for f, vols in output.items() for v in vols if f.endswith("log")]
                level += 1
                logs = ["  " * level + "%s/%s" % (task_path(self.topurl, self.id, v), f) for f, v in files]
                if logs:
                    s += "\n" + "  " * level + "Relevant logs:\n" + "\n".join(logs)
            return s
        return TASK_STATES[info["state"]].lower()


def watch_tasks(session, tasklist, out, quiet=False, poll_interval=6, topurl=None):
    """koji_cli.lib.watch_tasks: per round and task getTaskInfo(request=True) … getTaskChildren."""
    if not tasklist:
        return None
    if not quiet:
        out.append("Watching tasks (this may be safely interrupted)...")
    rv = 0
    tasks = {}
    for task_id in tasklist:
        tasks[task_id] = TaskWatcher(task_id, session, out, quiet=quiet, topurl=topurl)
    while True:
        all_done = True
        for task_id, task in list(tasks.items()):
            changed = task.update()
            if not task.is_done():
                all_done = False
            else:
                if changed and not quiet:
                    states = [t.info["state"] for t in tasks.values()]
                    out.append("  %d free  %d open  %d done  %d failed" % (
                        states.count(0), states.count(1) + states.count(4), states.count(2) + states.count(3),
                        states.count(5)))
                if task.level == 0 and not task.is_success():
                    rv = 1
            for child in session.getTaskChildren(task_id):
                if child["id"] not in tasks:
                    tasks[child["id"]] = TaskWatcher(child["id"], session, out, task.level + 1, quiet=quiet,
                                                     topurl=topurl)
                    tasks[child["id"]].update()
                    all_done = False
        if all_done:
            if not quiet:
                out.append("")
                for t in [t for t in tasks.values() if t.level == 0]:
                    word = {2: "completed successfully", 5: "failed", 3: "was canceled"}
                    out.append("%s %s" % (t.str(), word.get(t.info["state"], "has not completed")))
            break
        time.sleep(poll_interval)
    return rv


def cmd_wait_repo(session, ctx, out, tag=None, target=False, request=False, quiet=False):
    """koji_cli.commands.anon_handle_wait_repo (hub >= 1.35) with koji.util.RepoWatcher."""
    if request:
        activate_session(session)
    else:
        session.ensure_hub_version()
        ensure_connection(session)
    if session.hub_version < (1, 35):
        raise GenericError("the legacy wait-repo (getRepo polling) is not reproduced here")
    if target:
        target_info = session.getBuildTarget(tag)
        if not target_info:
            raise UsageError("No such target: %s" % tag)
        tag_info = session.getTag(target_info["build_tag"], strict=True)
    else:
        tag_info = session.getTag(tag)
        if not tag_info:
            raise UsageError("No such tag: %s" % tag)
        targets = session.getBuildTargets(buildTagID=tag_info["id"])
        if not targets:
            out.append("%(name)s is not a build tag for any target" % tag_info)
            targets = session.getBuildTargets(destTagID=tag_info["id"])
            if targets:
                out.append("%s is a destination tag for %s" % (tag_info["name"], targets[0]["name"]))
    if not request:
        out.append("The --request option is recommended for faster results")
    # RepoWatcher(session, tag_id, min_event="last")
    watched = session.getTag(tag_info["id"], strict=True)
    if not watched["extra"].get("repo.auto"):
        out.append("This tag is not configured for automatic regeneration")
    min_event = session.tagLastChangeEvent(watched["id"])
    if not isinstance(min_event, int):
        raise GenericError("tagLastChangeEvent returned %r, not an int" % (min_event,))

    def check_repo(repo):
        return repo["tag_id"] == watched["id"] and repo["create_event"] >= min_event

    repo, req, until = None, None, time.time() + ctx.wait_timeout
    while True:
        if req:
            check = session.repo.checkRequest(req["id"])
            repo = check.get("repo")
            if repo and check_repo(repo):
                break
            if not check["request"]["active"]:
                raise GenericError("Repo request no longer active")
        elif not request:
            repo = session.repo.get(watched["id"], min_event=min_event, at_event=None, opts=None)
            if repo and check_repo(repo):
                break
        else:
            check = session.repo.request(watched["id"], min_event=min_event, at_event=None, opts=None)
            repo = check.get("repo")
            if repo and check_repo(repo):
                break
            req = check["request"]
        if time.time() > until:
            raise GenericError("Unsuccessfully waited for a new %s repo" % watched["name"])
        time.sleep(ctx.poll_interval)
    if not quiet:
        out.append("Got repo %(id)i" % repo)
        out.append("Repo info: %s/repoinfo?repoID=%s" % (ctx.weburl, repo["id"]))
    return repo


def cmd_add_sidetag(session, ctx, basetag, quiet=False, wait=False, debuginfo=None, suffix=None):
    """sidetag_cli.handle_add_sidetag → (tag, output lines)"""
    out = []
    activate_session(session)
    # spec §9: debuginfo is nil unless --debuginfo is given
    kwargs = {"debuginfo": debuginfo}
    if suffix:
        kwargs["suffix"] = suffix
    try:
        tag = session.createSideTag(basetag, **kwargs)
    except ActionNotAllowed:
        raise UsageError("Policy violation")
    except ParameterError as ex:
        if "suffix" in str(ex):
            raise UsageError("Hub is older and doesn't support --suffix, please run it without it")
        raise
    if not quiet:
        out.append(tag["name"])
    if wait:
        # anon_handle_wait_repo(options, session, ["--target", name]) on the same, logged-in session
        cmd_wait_repo(session, ctx, out, tag["name"], target=True, quiet=quiet)
    session.logout()
    return tag, out


def cmd_remove_sidetag(session, sidetags):
    """sidetag_cli.handle_remove_sidetag: one strict multiCall of removeSideTag."""
    activate_session(session)
    session.multicall = True
    for sidetag in sidetags:
        session.removeSideTag(sidetag)
    session.multiCall(strict=True)
    session.logout()


def cmd_list_sidetags(session, basetag=None, user=None, mine=False):
    """sidetag_cli.handle_list_sidetags → the names it prints"""
    if mine and user:
        raise UsageError("Specify only one from --user --mine")
    if mine:
        activate_session(session)
        user = session.getLoggedInUser()["name"]
    names = [tag["name"] for tag in session.listSideTags(basetag=basetag, user=user)]
    if mine:
        session.logout()
    return names


def cmd_edit_sidetag(session, sidetag, debuginfo=None, rpm_macros=(), remove_rpm_macros=()):
    """sidetag_cli.handle_edit_sidetag (rpm_macros as the key=value words of --rpm-macro)"""
    if debuginfo is None and not rpm_macros and not remove_rpm_macros:
        raise UsageError("At least one option needs to be specified")
    activate_session(session)
    kwargs = {}
    if debuginfo is not None:
        kwargs["debuginfo"] = debuginfo
    if rpm_macros:
        macros = {}
        for xopt in rpm_macros:
            key, value = xopt.split("=", 1)
            macros[key] = arg_filter(value)
        kwargs["rpm_macros"] = macros
    if remove_rpm_macros:
        kwargs["remove_rpm_macros"] = list(remove_rpm_macros)
    session.editSideTag(sidetag, **kwargs)
    session.logout()


def cmd_runroot(session, ctx, tag, arch, words, use_shell=False, watch=False, quiet=False, new_chroot=None,
                channel=None, packages=(), mounts=(), repo_id=None, skip_setarch=False, weight=None):
    """runroot.handle_runroot → (exit status, task id, output lines, stdout bytes)"""
    out, stdout = [], b""
    activate_session(session)
    command = " ".join(words) if use_shell else list(words)
    kwargs = {"channel": channel, "packages": list(packages), "mounts": list(mounts), "repo_id": repo_id,
              "skip_setarch": skip_setarch, "weight": weight}
    if new_chroot is not None:
        kwargs["new_chroot"] = new_chroot
    try:
        task_id = session.runroot(tag, arch, command, **kwargs)
    except GenericError as e:
        if "Invalid method" in str(e):
            out.append("* The runroot plugin appears to not be installed on the koji hub.  "
                       "Please contact the administrator.")
        raise
    if watch:
        session.logout()
        return watch_tasks(session, [task_id], out, quiet=quiet, poll_interval=ctx.poll_interval), task_id, out, b""
    while not session.taskFinished(task_id):
        time.sleep(ctx.poll_interval)
    if not quiet:
        output = list_task_output_all_volumes(session, task_id)
        for volume in output.get("runroot.log", []):
            stdout += download_task_output(session, task_id, "runroot.log", volume=volume)
    info = session.getTaskInfo(task_id)
    if info is None or TASK_STATES[info["state"]] in ("FAILED", "CANCELED"):
        return 1, task_id, out, stdout  # sys.exit(1): no logout
    session.logout()
    return 0, task_id, out, stdout


def cmd_watch_task(session, ctx, task_ids, quiet=False):
    """koji_cli.commands.anon_handle_watch_task (anonymous) → (exit status, lines)"""
    out = []
    ensure_connection(session)
    rv = watch_tasks(session, [int(t) for t in task_ids], out, quiet=quiet, poll_interval=ctx.poll_interval,
                     topurl=ctx.topurl)
    return rv, out


def cmd_taskinfo(session, ctx, task_id, verbose=False, recurse=False, level=0, out=None):
    """koji_cli.commands.anon_handle_taskinfo / _printTaskInfo"""
    if out is None:
        out = []
        ensure_connection(session)
    indent = " " * 2 * level
    info = session.getTaskInfo(task_id)
    if info is None:
        raise GenericError("No such task: %d" % task_id)
    host_info = session.getHost(info["host_id"]) if info["host_id"] else None
    buildroot_infos = session.listBuildroots(taskID=task_id)
    build_info = session.listBuilds(taskID=task_id)
    files = list_task_output_all_volumes(session, task_id)
    logs, output = [], []
    for filename in files:
        paths = ["%s/%s" % (task_path(ctx.topdir, task_id, v), filename) for v in files[filename]]
        if filename.endswith(".log"):
            logs += paths
        else:
            output += paths
    owner = session.getUser(info["owner"])["name"]
    out.append("%sTask: %d" % (indent, task_id))
    out.append("%sType: %s" % (indent, info["method"]))
    if verbose:
        out.append("%sRequest Parameters:" % indent)
        for i, param in enumerate(session.getTaskRequest(task_id)):
            out.append("%s  %s: %r" % (indent, i, param))
    out.append("%sOwner: %s" % (indent, owner))
    out.append("%sState: %s" % (indent, TASK_STATES[info["state"]].lower()))
    out.append("%sCreated: %s" % (indent, time.asctime(time.localtime(info["create_ts"]))))
    if info.get("start_ts"):
        out.append("%sStarted: %s" % (indent, time.asctime(time.localtime(info["start_ts"]))))
    if info.get("completion_ts"):
        out.append("%sFinished: %s" % (indent, time.asctime(time.localtime(info["completion_ts"]))))
    if host_info:
        out.append("%sHost: %s" % (indent, host_info["name"]))
    if build_info:
        out.append("%sBuild: %s (%d)" % (indent, build_info[0]["nvr"], build_info[0]["build_id"]))
    if buildroot_infos:
        out.append("%sBuildroots:" % indent)
        for root in buildroot_infos:
            out.append("%s  %s/%s-%d-%d/" % (indent, BUILDDIR, root["tag_name"], root["id"], root["repo_id"]))
    if logs:
        out.append("%sLog Files:" % indent)
        out.extend("%s  %s" % (indent, p) for p in logs)
    if output:
        out.append("%sOutput:" % indent)
        out.extend("%s  %s" % (indent, p) for p in output)
    if recurse:
        children = sorted(session.getTaskChildren(task_id, request=True), key=lambda x: x["id"])
        for child in children:
            cmd_taskinfo(session, ctx, child["id"], verbose, recurse, level + 1, out)
    return out


def cmd_list_tasks(session, mine=False, all_=False, after=None):
    """koji_cli.commands.handle_list_tasks / lib._list_tasks → (tasks, lines)"""
    activate_session(session)
    callopts = {"decode": True}
    if not all_:
        callopts["state"] = [0, 1, 4]
    if after is not None:
        callopts["startedAfter"] = float(after)
    if mine:
        callopts["owner"] = session.getLoggedInUser()["id"]
    tasklist = session.listTasks(callopts, {"order": "priority,create_time"})
    tasks = dict((t["id"], t) for t in tasklist)
    for t in tasklist:
        if t["parent"] is not None and t["parent"] in tasks:
            tasks[t["parent"]].setdefault("children", []).append(t)
            t["sub"] = True
    lines = []
    if not tasklist:
        lines.append("(no tasks)")
    else:
        lines.append("ID       Pri  Owner                State    Arch       Name")

        def print_recurse(task, depth=0):
            t = dict(task)
            t["state"] = TASK_STATES.get(t["state"], "BADSTATE")
            indent = "  " * (depth - 1) + " +" if depth else ""
            lines.append("%(id)-8s %(priority)-4s %(owner_name)-20s %(state)-8s %(arch)-10s " % t
                         + indent + task_label(task))
            for child in task.get("children", ()):
                print_recurse(child, depth + 1)

        for t in tasklist:
            if not t.get("sub"):
                print_recurse(t)
    session.logout()
    return tasklist, lines


def cmd_save_failed_tree(session, ctx, id_val, mode="task", full=False, quiet=False, nowait=False):
    """save_failed_tree.handle_save_failed_tree → (exit status, new task id or None, lines)"""
    out = []
    activate_session(session)
    if mode == "buildroot":
        br_id = id_val
    else:
        brs = [b["id"] for b in session.listBuildroots(taskID=id_val)]
        if not brs:
            out.append("No buildroots for task %s" % id_val)
            session.logout()  # a command that returns 1 is still followed by koji's logout
            return 1, None, out
        br_id = max(brs)
        if len(brs) > 1:
            out.append("Multiple buildroots for task. Choosing last one (%s)" % br_id)
    try:
        task_id = session.saveFailedTree(br_id, full)
    except GenericError as e:
        if "Invalid method" in str(e):
            out.append("* The save_failed_tree plugin appears to not be installed on the koji hub.  "
                       "Please contact the administrator.")
            session.logout()
            return 1, None, out
        raise
    if not quiet:
        out.append("Created task %s for buildroot %s" % (task_id, br_id))
        out.append("Task info: %s/taskinfo?taskID=%s" % (ctx.weburl, task_id))
    if nowait:
        session.logout()
        return 0, task_id, out
    session.logout()
    rv = watch_tasks(session, [task_id], out, quiet=quiet, poll_interval=ctx.poll_interval, topurl=ctx.topurl)
    return rv, task_id, out


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


# ---- the plugin commands (spec §9); the state comes from test/e2e/koji-client-plugins.test.ts ----

STARSTAR = {"__starstar": True}


def kw(**kwargs):
    """The trailing struct koji.encode_args sends for keyword arguments."""
    kwargs.update(STARSTAR)
    return kwargs


def as_user2(ctx):
    return new_session(ctx, ctx.user2, ctx.password2)


def as_user3(ctx):
    return new_session(ctx, ctx.user3, ctx.password3)


def anon(ctx):
    return new_session(ctx)


def need(ctx, *names):
    missing = [n for n in names if not getattr(ctx, n)]
    return "skipped (no --%s)" % ", --".join(n.replace("_", "-") for n in missing) if missing else None


def quiet_sidetag(ctx, session=None, **kwargs):
    """add-sidetag -q as user2 (or the given session); returns the createSideTag result."""
    s = session or as_user2(ctx)
    tag, _ = cmd_add_sidetag(s, ctx, ctx.basetag, quiet=True, **kwargs)
    s.close()
    return tag


def logged_in_calls(s):
    return len([1 for _, h, _ in s.sent if "Koji-Session-Callnum" in h])


@scenario
def add_sidetag(ctx, check):
    """koji add-sidetag [-q] [--debuginfo] [--suffix S] [--wait] BASE (sidetag_cli.handle_add_sidetag)."""
    skip = need(ctx, "basetag", "user2")
    if skip:
        return skip
    admin = anon(ctx)
    base = admin.getTag(ctx.basetag)
    s = as_user2(ctx)
    tag, out = cmd_add_sidetag(s, ctx, ctx.basetag)
    check.equal(methods_sent(s), ["login", "getAPIVersion", "createSideTag", "logout"], "add-sidetag calls")
    check.equal(params_sent(s, 2), (ctx.basetag, kw(debuginfo=None)), "createSideTag params (debuginfo nil)")
    check_wire(check, s, 3)
    check.equal(sorted(tag), ["id", "name", "request", "task_id"], "createSideTag result fields")
    check.equal(tag["name"], "%s-side-%d" % (ctx.basetag, tag["id"]), "name from the template")
    check.equal(out, [tag["name"]], "add-sidetag prints the name")
    s.close()
    info = admin.getTag(tag["name"], strict=True)
    check.equal(info["arches"], base["arches"], "the sidetag has the base tag's arches")
    check.equal((info["extra"].get("sidetag"), info["extra"].get("sidetag_user")), (True, ctx.user2),
                "sidetag extra")
    check.that("with_debuginfo" not in info["extra"], "no with_debuginfo without --debuginfo")
    target = admin.getBuildTarget(tag["name"])
    check.equal(target and (target["build_tag_name"], target["dest_tag_name"]), (tag["name"], tag["name"]),
                "a target of the same name")
    # argparse's store_true sends False rather than nil when the flag is absent: accepted too
    s = as_user2(ctx)
    activate_session(s)
    t = s.createSideTag(ctx.basetag, debuginfo=False)
    check.that("with_debuginfo" not in admin.getTag(t["id"])["extra"], "debuginfo=False: no with_debuginfo")
    s.logout()
    s.close()

    # -q --debuginfo --suffix stack-gate
    s = as_user2(ctx)
    tag2, out = cmd_add_sidetag(s, ctx, ctx.basetag, quiet=True, debuginfo=True, suffix="stack-gate")
    check.equal(params_sent(s, 2), (ctx.basetag, kw(debuginfo=True, suffix="stack-gate")), "--debuginfo --suffix")
    check.equal(tag2["name"], "%s-side-%d-stack-gate" % (ctx.basetag, tag2["id"]), "suffixed name")
    check.equal(out, [], "-q prints nothing")
    check.equal(admin.getTag(tag2["id"])["extra"].get("with_debuginfo"), True, "with_debuginfo")
    s.close()
    s = as_user2(ctx)
    check.raises(GenericError, lambda: cmd_add_sidetag(s, ctx, ctx.basetag, suffix="nope"),
                 "nope suffix is not allowed for sidetag", "a suffix the hub does not allow")
    s.close()
    s = as_user2(ctx)
    check.raises(GenericError, lambda: cmd_add_sidetag(s, ctx, "no-such-base-tag"),
                 "no-such-base-tag", "an unknown base tag")
    s.close()

    # --wait: anon_handle_wait_repo(["--target", name]) on the same logged-in session, no logout between
    s = as_user2(ctx)
    tag3, out = cmd_add_sidetag(s, ctx, ctx.basetag, wait=True)
    m = methods_sent(s)
    check.equal(m[:8], ["login", "getAPIVersion", "createSideTag", "getAPIVersion", "getBuildTarget", "getTag",
                        "getTag", "tagLastChangeEvent"], "--wait calls")
    check.that(m[8:-1] and set(m[8:-1]) == {"repo.get"} and m[-1] == "logout", "then repo.get polls: %r" % m[8:])
    check.equal(params_sent(s, 4), (tag3["name"],), "getBuildTarget(name)")
    check.equal(params_sent(s, 5), (tag3["id"], kw(strict=True)), "getTag(build_tag, strict=True)")
    check.equal(params_sent(s, 6), (tag3["id"], kw(strict=True)), "RepoWatcher's getTag(id, strict=True)")
    check.equal(params_sent(s, 7), (tag3["id"],), "tagLastChangeEvent(id)")
    rp = params_sent(s, 8)
    check.equal((rp[0], sorted(rp[1])), (tag3["id"], ["__starstar", "at_event", "min_event", "opts"]),
                "repo.get(id, min_event=E, at_event=None, opts=None)")
    check.equal((rp[1]["at_event"], rp[1]["opts"]), (None, None), "repo.get at_event, opts")
    check.that(isinstance(rp[1]["min_event"], int), "min_event is the int tagLastChangeEvent returned")
    check.equal(logged_in_calls(s), len(s.sent) - 1, "every call after login carries the session")
    check.equal(out[0], tag3["name"], "--wait prints the name first")
    check.that(out[-2].startswith("Got repo ") and out[-1].startswith("Repo info: %s/repoinfo?repoID=" % ctx.weburl),
               "--wait ends with the repo: %r" % out)
    repo = admin.repo.get(tag3["id"])
    check.that(repo and repo["state"] == 1 and repo["tag_id"] == tag3["id"], "a READY repo: %r" % (repo,))
    s.close()
    admin.close()


@scenario
def remove_sidetag(ctx, check):
    """koji remove-sidetag A B (sidetag_cli.handle_remove_sidetag): one strict multiCall."""
    skip = need(ctx, "basetag", "user2", "user3")
    if skip:
        return skip
    a, b, c = quiet_sidetag(ctx), quiet_sidetag(ctx), quiet_sidetag(ctx)
    s = as_user2(ctx)
    cmd_remove_sidetag(s, [a["name"], b["name"]])
    check.equal(methods_sent(s), ["login", "getAPIVersion", "multiCall", "logout"], "remove-sidetag calls")
    check.equal(params_sent(s, 2), ([{"methodName": "removeSideTag", "params": [a["name"]]},
                                     {"methodName": "removeSideTag", "params": [b["name"]]}],), "multiCall params")
    check_wire(check, s, 3)
    s.close()
    q = anon(ctx)
    check.equal([q.getTag(a["id"]), q.getTag(b["id"]), q.getBuildTarget(a["name"])], [None, None, None],
                "both sidetags and their targets are gone")
    s = as_user2(ctx)
    check.raises(GenericError, lambda: cmd_remove_sidetag(s, [ctx.basetag, c["name"]]),
                 "Not a sidetag: %s" % ctx.basetag, "remove-sidetag of the base tag")
    check.equal(q.getTag(c["id"]), None, "the calls after a failed one still run")
    s.close()
    d = quiet_sidetag(ctx)
    s = as_user3(ctx)
    check.raises(ActionNotAllowed, lambda: cmd_remove_sidetag(s, [d["name"]]), "This is not your sidetag",
                 "remove-sidetag of somebody else's sidetag")
    s.close()
    check.that(q.getTag(d["id"]) is not None, "a refused removal removes nothing")
    q.close()


@scenario
def list_sidetags(ctx, check):
    """koji list-sidetags [--basetag B] [--user U] [--mine] (sidetag_cli.handle_list_sidetags)."""
    skip = need(ctx, "basetag", "user2", "user3")
    if skip:
        return skip
    mine2 = quiet_sidetag(ctx)
    mine3 = quiet_sidetag(ctx, as_user3(ctx))
    s = anon(ctx)
    names = cmd_list_sidetags(s)
    check.equal(methods_sent(s), ["listSideTags"], "anonymous list-sidetags calls")
    check.equal(params_sent(s, 0), (kw(basetag=None, user=None),), "listSideTags params")
    check.that(mine2["name"] in names and mine3["name"] in names, "both sidetags listed")
    for entry in s.listSideTags():
        if not check.equal(sorted(entry), ["id", "name", "user_id", "user_name"], "listSideTags fields"):
            break
        check.that(isinstance(entry["user_id"], str), "user_id is a string, as Koji's tag_extra text")
    names = cmd_list_sidetags(s, basetag=ctx.basetag)
    check.equal(params_sent(s, -1), (kw(basetag=ctx.basetag, user=None),), "--basetag params")
    check.that(mine2["name"] in names and mine3["name"] in names, "--basetag lists its sidetags")
    check.equal(cmd_list_sidetags(s, basetag=mine2["name"]), [], "--basetag of a tag with no sidetags")
    names = cmd_list_sidetags(s, user=ctx.user2)
    check.equal(params_sent(s, -1), (kw(basetag=None, user=ctx.user2),), "--user params")
    check.that(mine2["name"] in names and mine3["name"] not in names, "--user filters: %r" % names)
    check.raises(GenericError, lambda: cmd_list_sidetags(s, user="nobody-here"), "No such user: 'nobody-here'",
                 "--user of an unknown user")
    sent = len(s.sent)
    check.raises(UsageError, lambda: cmd_list_sidetags(s, user=ctx.user2, mine=True),
                 "Specify only one from --user --mine", "--user with --mine")
    check.equal(len(s.sent), sent, "--user with --mine sends nothing")
    s.close()
    s = as_user3(ctx)
    names = cmd_list_sidetags(s, mine=True)
    check.equal(methods_sent(s), ["login", "getAPIVersion", "getLoggedInUser", "listSideTags", "logout"],
                "--mine calls")
    check.equal(params_sent(s, 3), (kw(basetag=None, user=ctx.user3),), "--mine sends user=<my name>")
    check.that(mine3["name"] in names and mine2["name"] not in names, "--mine lists mine only: %r" % names)
    check_wire(check, s, 4)
    s.close()


@scenario
def edit_sidetag(ctx, check):
    """koji edit-sidetag ST [--debuginfo|--no-debuginfo] [--rpm-macro k=v] [--remove-rpm-macro k]."""
    skip = need(ctx, "basetag", "user2", "user3")
    if skip:
        return skip
    st = quiet_sidetag(ctx)
    q = anon(ctx)
    s = as_user2(ctx)
    cmd_edit_sidetag(s, st["name"], debuginfo=True, rpm_macros=["dist=.fc40", "_with_foo=1"])
    check.equal(methods_sent(s), ["login", "getAPIVersion", "editSideTag", "logout"], "edit-sidetag calls")
    check.equal(params_sent(s, 2), (st["name"], kw(debuginfo=True, rpm_macros={"dist": ".fc40", "_with_foo": 1})),
                "editSideTag params (arg_filter turns 1 into an int)")
    check_wire(check, s, 3)
    s.close()
    extra = q.getTag(st["id"])["extra"]
    check.equal((extra.get("with_debuginfo"), extra.get("rpm.macro.dist"), extra.get("rpm.macro._with_foo")),
                (True, ".fc40", 1), "extra after --debuginfo --rpm-macro")
    s = as_user2(ctx)
    cmd_edit_sidetag(s, st["name"], debuginfo=False, remove_rpm_macros=["_with_foo"])
    check.equal(params_sent(s, 2), (st["name"], kw(debuginfo=False, remove_rpm_macros=["_with_foo"])),
                "--no-debuginfo --remove-rpm-macro params")
    s.close()
    extra = q.getTag(st["id"])["extra"]
    check.equal((extra.get("with_debuginfo"), extra.get("rpm.macro.dist"), "rpm.macro._with_foo" in extra),
                (False, ".fc40", False), "extra after --no-debuginfo --remove-rpm-macro")
    s = as_user2(ctx)
    check.raises(UsageError, lambda: cmd_edit_sidetag(s, st["name"]), "At least one option needs to be specified",
                 "edit-sidetag without options")
    check.equal(s.sent, [], "edit-sidetag without options sends nothing")
    check.raises(GenericError, lambda: cmd_edit_sidetag(s, st["name"], rpm_macros=["foo=1"]),
                 "RPM macro foo editing is not allowed via parent tag", "a macro the parent does not allow")
    s.close()
    s = as_user2(ctx)
    check.raises(GenericError, lambda: cmd_edit_sidetag(s, ctx.basetag, debuginfo=True),
                 "Not a sidetag: %s" % ctx.basetag, "edit-sidetag of the base tag")
    s.close()
    s = as_user3(ctx)
    check.raises(ActionNotAllowed, lambda: cmd_edit_sidetag(s, st["name"], debuginfo=True),
                 "This is not your sidetag", "edit-sidetag of somebody else's sidetag")
    s.close()
    # extra / remove_extra (koji call editSideTag …; the 1.35 CLI has no options for them): admins only
    s = as_user2(ctx)
    activate_session(s)
    check.raises(GenericError, lambda: s.editSideTag(st["name"], extra={"x": 1}),
                 "Extra can be modified only with sidetag_admin or admin permissions.", "extra by the owner")
    check.raises(ParameterError, lambda: s.editSideTag(st["name"], block_extra=["x"]),
                 "got an unexpected keyword argument 'block_extra'", "an unknown keyword")
    s.logout()
    s.close()
    s = new_session(ctx)
    activate_session(s)
    s.editSideTag(st["name"], extra={"x": "y", "z": 2})
    check.equal(params_sent(s, 2), (st["name"], kw(extra={"x": "y", "z": 2})), "extra params")
    extra = q.getTag(st["id"])["extra"]
    check.equal((extra.get("x"), extra.get("z")), ("y", 2), "extra set")
    s.editSideTag(st["name"], remove_extra=["x"])
    extra = q.getTag(st["id"])["extra"]
    check.equal(("x" in extra, extra.get("z")), (False, 2), "remove_extra")
    s.logout()
    s.close()
    q.close()


@scenario
def runroot(ctx, check):
    """koji runroot [--use-shell] [--new-chroot] [--watch] TAG ARCH CMD (runroot.handle_runroot)."""
    skip = need(ctx, "basetag", "user2", "user3")
    if skip:
        return skip
    words = ["sh", "-c", "echo out; echo err >&2; printf '\\303\\251\\n'"]
    s = as_user2(ctx)
    rv, task_id, out, stdout = cmd_runroot(s, ctx, ctx.basetag, "x86_64", words)
    m = methods_sent(s)
    check.equal(rv, 0, "exit status of a command that succeeds")
    check.equal(m[:3], ["login", "getAPIVersion", "runroot"], "runroot calls")
    check.equal(m[-4:], ["listTaskOutput", "downloadTaskOutput", "getTaskInfo", "logout"], "after the wait")
    check.that(set(m[3:-4]) == {"taskFinished"}, "taskFinished polls: %r" % m[3:-4])
    check.equal(params_sent(s, 2), (ctx.basetag, "x86_64", words,
                                    kw(channel=None, packages=[], mounts=[], repo_id=None, skip_setarch=False,
                                       weight=None)), "runroot params")
    check.equal(params_sent(s, 3), (task_id,), "taskFinished(id)")
    check.equal(params_sent(s, -4), (task_id, kw(all_volumes=True)), "listTaskOutput(id, all_volumes=True)")
    check.equal(params_sent(s, -3), (task_id, "runroot.log", kw(offset=0, size=-1)), "downloadTaskOutput params")
    check.equal(params_sent(s, -2), (task_id,), "getTaskInfo(id)")
    check.equal(stdout, "out\nerr\n\u00e9\n".encode("utf-8"), "runroot.log written as bytes")
    check_wire(check, s, len(s.sent) - 1)
    check.that(isinstance(task_id, int), "runroot returns an int")
    s.close()
    q = anon(ctx)
    info = q.getTaskInfo(task_id, request=True)
    check.equal((info["method"], info["arch"], info["priority"], info["state"]), ("runroot", "x86_64", 15, 2),
                "the task")
    check.equal(info["request"][:3], [ctx.basetag, "x86_64", words],
                "stored request")
    check.that(isinstance(info["request"][3], dict) and info["request"][3].get("__starstar") is True
               and "channel" not in info["request"][3], "stored kwargs: %r" % (info["request"][3],))

    # --use-shell --new-chroot, a command that fails: exit 1 via sys.exit (no logout)
    s = as_user2(ctx)
    rv, task_id, out, stdout = cmd_runroot(s, ctx, ctx.basetag, "x86_64", ["echo", "shell;", "exit", "3"],
                                           use_shell=True, new_chroot=True)
    check.equal(rv, 1, "exit status of a command that fails")
    check.equal(params_sent(s, 2), (ctx.basetag, "x86_64", "echo shell; exit 3",
                                    kw(channel=None, packages=[], mounts=[], repo_id=None, skip_setarch=False,
                                       weight=None, new_chroot=True)), "--use-shell sends one string")
    check.equal(methods_sent(s)[-1], "getTaskInfo", "no logout after sys.exit(1)")
    check.equal(stdout, b"shell\n", "the failed command's log")
    check.equal(q.getTaskInfo(task_id)["state"], 5, "FAILED")
    s.close()

    # --watch: logout, then the watch-task loop, anonymous
    s = as_user2(ctx)
    rv, task_id, out, _ = cmd_runroot(s, ctx, ctx.basetag, "x86_64", ["sh", "-c", "sleep 0.5; exit 4"], watch=True)
    m = methods_sent(s)
    check.equal(rv, 1, "--watch of a failing task exits 1")
    check.equal(m[:4], ["login", "getAPIVersion", "runroot", "logout"], "--watch logs out first")
    check.that(all("Koji-Session-Id" not in h for _, h, _ in s.sent[4:]), "the watch is anonymous")
    check.that({"getTaskInfo", "getTaskChildren", "getTaskResult"} <= set(m[4:]), "watch calls: %r" % m[4:])
    check.equal(params_sent(s, 4), (task_id, kw(request=True)), "getTaskInfo(id, request=True)")
    label = "%d runroot (x86_64)" % task_id
    check.equal(out[0], "Watching tasks (this may be safely interrupted)...", "watch header")
    check.that(out[1].startswith(label + ": "), "first state line: %r" % out[1])
    check.that(any(l.endswith(" -> FAILED: BuildrootError: sh exited with status 4") for l in out),
               "the failure, as getTaskResult raises it: %r" % out)
    check.equal(out[-1], label + " failed", "last line")
    s.close()

    s = as_user3(ctx)
    check.raises(ActionNotAllowed, lambda: cmd_runroot(s, ctx, ctx.basetag, "x86_64", ["true"]),
                 "runroot permission required (logged in as %s)" % ctx.user3, "runroot without the permission")
    s.close()
    q.close()


@scenario
def watch_task(ctx, check):
    """koji watch-task ID (commands.anon_handle_watch_task → lib.watch_tasks), anonymous."""
    skip = need(ctx, "failed_task", "user2", "basetag")
    if skip:
        return skip
    s = anon(ctx)
    rv, out = cmd_watch_task(s, ctx, [ctx.failed_task])
    t = ctx.failed_task
    check.equal(rv, 1, "watch-task of a FAILED task exits 1")
    check.equal(methods_sent(s), ["getAPIVersion", "getTaskInfo", "getTaskResult", "listTaskOutput",
                                  "getTaskChildren"], "watch-task calls for a finished, failed task")
    check.equal(params_sent(s, 2), (t,), "getTaskResult(id)")
    check.equal(params_sent(s, 3), (t, kw(all_volumes=True)), "listTaskOutput(id, all_volumes=True) for the logs")
    check.equal(params_sent(s, 4), (t,), "getTaskChildren(id)")
    label = "%d runroot (x86_64)" % t
    check.equal(out[1].split("\n")[0], "%s: FAILED: BuildrootError: sh exited with status 3" % label, "state line")
    check.equal(out[1].split("\n")[1:], ["  Relevant logs:", "  %s/runroot.log" % task_path(ctx.topurl, t)],
                "log URLs under topurl")
    check.equal(out[-1], label + " failed", "last line")
    s.close()
    # A task watched from FREE to CLOSED: getHost for `open (<host>)`, `completed successfully`, exit 0
    a = as_user2(ctx)
    activate_session(a)
    live = a.runroot(ctx.basetag, "x86_64", ["sleep", "1"], channel=None, packages=[], mounts=[], repo_id=None,
                     skip_setarch=False, weight=None)
    a.logout()
    a.close()
    s = anon(ctx)
    rv, out = cmd_watch_task(s, ctx, [live])
    check.equal(rv, 0, "watch-task of a task that closes exits 0")
    check.that("getHost" in methods_sent(s), "getHost for an open task: %r" % methods_sent(s))
    host_line = [l for l in out if "open (" in l]
    check.that(host_line, "an `open (<host>)` line: %r" % out)
    check.equal(out[-1], "%d runroot (x86_64) completed successfully" % live, "last line")
    info = s.getTaskInfo(live, request=True)
    for key in ("state", "host_id", "method", "request", "arch"):
        check.that(key in info, "getTaskInfo(request=True) has %s" % key)
    host = s.getHost(info["host_id"])
    check.that(host and isinstance(host.get("name"), str), "getHost has a name")
    s.close()


@scenario
def taskinfo(ctx, check):
    """koji taskinfo -v -r ID (commands.anon_handle_taskinfo → _printTaskInfo), anonymous."""
    skip = need(ctx, "failed_task", "basetag")
    if skip:
        return skip
    t = ctx.failed_task
    s = anon(ctx)
    out = cmd_taskinfo(s, ctx, t, verbose=True, recurse=True)
    check.equal(methods_sent(s), ["getAPIVersion", "getTaskInfo", "getHost", "listBuildroots", "listBuilds",
                                  "listTaskOutput", "getUser", "getTaskRequest", "getTaskChildren"], "taskinfo calls")
    check.equal(params_sent(s, 3), (kw(taskID=t),), "listBuildroots(taskID=id)")
    check.equal(params_sent(s, 4), (kw(taskID=t),), "listBuilds(taskID=id)")
    check.equal(params_sent(s, 8), (t, kw(request=True)), "getTaskChildren(id, request=True)")
    info = s.getTaskInfo(t)
    for key in ("create_ts", "start_ts", "completion_ts"):
        check.that(isinstance(info.get(key), (int, float)) and not isinstance(info.get(key), bool),
                   "%s is a number: %r" % (key, info.get(key)))
    for key in ("create_time", "start_time", "completion_time"):
        check.that(isinstance(info.get(key), str), "%s is a string: %r" % (key, info.get(key)))
    check.equal(out[:2], ["Task: %d" % t, "Type: runroot"], "task and type lines")
    check.that("Owner: %s" % ctx.user2 in out, "owner line: %r" % out)
    check.that("State: failed" in out, "state line")
    check.that(any(l.startswith("Host: ") for l in out), "host line")
    brs = s.listBuildroots(taskID=t)
    check.equal(len(brs), 1, "one buildroot")
    br = brs[0]
    check.that(isinstance(br["id"], int) and isinstance(br["repo_id"], int), "buildroot id, repo_id are ints")
    check.equal(br["tag_name"], ctx.basetag, "buildroot tag_name")
    check.that("  %s/%s-%d-%d/" % (BUILDDIR, ctx.basetag, br["id"], br["repo_id"]) in out, "buildroot line")
    check.that("  %s/runroot.log" % task_path(ctx.topdir, t) in out, "log path under topdir: %r" % out)
    check.that("  0: %r" % ctx.basetag in out, "request parameters from getTaskRequest: %r" % out)
    check.equal(s.listBuilds(taskID=t), [], "no builds")
    s.close()


@scenario
def list_tasks(ctx, check):
    """koji list-tasks [--mine] [--all --after T] (commands.handle_list_tasks → lib._list_tasks)."""
    skip = need(ctx, "free_task", "failed_task", "user3")
    if skip:
        return skip
    s = new_session(ctx)
    tasks, lines = cmd_list_tasks(s, mine=True)
    check.equal(methods_sent(s), ["login", "getAPIVersion", "getLoggedInUser", "listTasks", "logout"],
                "list-tasks --mine calls")
    me = s.getUser(ctx.user)
    check.equal(params_sent(s, 3), ({"decode": True, "state": [0, 1, 4], "owner": me["id"]},
                                    {"order": "priority,create_time"}), "listTasks params, both positional")
    check_wire(check, s, 4)
    free = [x for x in tasks if x["id"] == ctx.free_task]
    if check.that(free, "the FREE task is listed"):
        x = free[0]
        for key in ("id", "parent", "priority", "owner_name", "state", "arch", "method", "request"):
            check.that(key in x, "listTasks entry has %s" % key)
        check.equal((x["owner_name"], x["state"], x["method"], x["arch"]), (ctx.user, 0, "sleep", "noarch"), "entry")
        check.equal(x["request"], [60], "request decoded")
        check.that(any(l.startswith("%-8s" % ctx.free_task) and l.endswith("sleep (noarch)") for l in lines),
                   "printed line: %r" % lines)
    check.that(all(x["state"] in (0, 1, 4) for x in tasks), "only FREE, OPEN, ASSIGNED")
    s.close()
    s = new_session(ctx)
    after = time.time() - 3600
    tasks, lines = cmd_list_tasks(s, all_=True, after=after)
    check.equal(params_sent(s, 2), ({"decode": True, "startedAfter": after}, {"order": "priority,create_time"}),
                "--all --after params")
    check.that(b"<double>" in s.sent[2][2], "startedAfter goes out as a double")
    ids = [x["id"] for x in tasks]
    check.that(ctx.failed_task in ids and ctx.free_task not in ids, "--all --after: started tasks only")
    s.close()
    s = as_user3(ctx)
    tasks, lines = cmd_list_tasks(s, mine=True)
    check.equal((tasks, lines), ([], ["(no tasks)"]), "nothing of mine")
    s.close()


@scenario
def save_failed_tree(ctx, check):
    """koji save-failed-tree [-r] [--full] [--nowait] ID (save_failed_tree.handle_save_failed_tree)."""
    skip = need(ctx, "failed_task", "user2", "user3", "basetag")
    if skip:
        return skip
    t = ctx.failed_task
    q = anon(ctx)
    br = max(b["id"] for b in q.listBuildroots(taskID=t))
    host_name = q.listBuildroots(taskID=t)[0]["host_name"]
    s = as_user2(ctx)
    rv, task_id, out = cmd_save_failed_tree(s, ctx, t)
    m = methods_sent(s)
    check.equal(rv, 0, "exit status when the task closes")
    check.equal(m[:5], ["login", "getAPIVersion", "listBuildroots", "saveFailedTree", "logout"],
                "save-failed-tree calls")
    check.equal(params_sent(s, 2), (kw(taskID=t),), "listBuildroots(taskID=ID)")
    check.equal(params_sent(s, 3), (br, False), "saveFailedTree(br, False), both positional")
    check.that(all("Koji-Session-Id" not in h for _, h, _ in s.sent[5:]), "the watch is anonymous")
    check.equal(out[:2], ["Created task %s for buildroot %s" % (task_id, br),
                          "Task info: %s/taskinfo?taskID=%s" % (ctx.weburl, task_id)], "output")
    check.equal(out[-1], "%d saveFailedTree (noarch) completed successfully" % task_id, "last line")
    check.equal(q.listTaskOutput(task_id, all_volumes=True), {"broot-%d.tar.gz" % br: ["failed-tree"]},
                "the tarball is task output on volume failed-tree")
    s.close()
    # buildroot mode, --full --nowait, then watch-task until it closes
    s = as_user2(ctx)
    rv, task2, out = cmd_save_failed_tree(s, ctx, br, mode="buildroot", full=True, nowait=True)
    check.equal((rv, methods_sent(s)), (0, ["login", "getAPIVersion", "saveFailedTree", "logout"]), "-r --nowait")
    check.equal(params_sent(s, 2), (br, True), "saveFailedTree(br, True)")
    s.close()
    rv, _ = cmd_watch_task(q, ctx, [task2], quiet=True)
    check.equal(rv, 0, "the --full save closes")
    # a task without buildroots (the save task itself): message, exit 1
    s = as_user2(ctx)
    rv, _, out = cmd_save_failed_tree(s, ctx, task_id)
    check.equal((rv, out), (1, ["No buildroots for task %s" % task_id]), "no buildroots")
    check.equal(methods_sent(s), ["login", "getAPIVersion", "listBuildroots", "logout"], "no buildroots: calls")
    s.close()
    # the errors §9 lists, in the hub's order
    s = as_user2(ctx)
    check.raises(GenericError, lambda: cmd_save_failed_tree(s, ctx, 99999999, mode="buildroot"),
                 "No such buildroot: 99999999", "an unknown buildroot")
    s.close()
    a = as_user2(ctx)
    activate_session(a)
    ok_task = a.runroot(ctx.basetag, "x86_64", ["true"], channel=None, packages=[], mounts=[], repo_id=None,
                        skip_setarch=False, weight=None)
    while not a.taskFinished(ok_task):
        time.sleep(ctx.poll_interval)
    a.logout()
    a.close()
    s = as_user2(ctx)
    check.raises(PreBuildError, lambda: cmd_save_failed_tree(s, ctx, ok_task),
                 "Task %d has not failed. Only failed tasks can upload their buildroots." % ok_task,
                 "a task that did not fail")
    s.close()
    s = as_user3(ctx)
    check.raises(ActionNotAllowed, lambda: cmd_save_failed_tree(s, ctx, t),
                 "Only owner of failed task or 'admin' can run this task.", "somebody else's task")
    s.close()
    admin = new_session(ctx)
    activate_session(admin)
    admin.disableHost(host_name)
    try:
        s = as_user2(ctx)
        check.raises(PreBuildError, lambda: cmd_save_failed_tree(s, ctx, t), "Host is disabled.",
                     "the buildroot's host is disabled")
        s.close()
    finally:
        admin.enableHost(host_name)
        admin.logout()
        admin.close()
    q.close()


@scenario
def wait_repo(ctx, check):
    """koji wait-repo TAG | --target T | --request (commands.anon_handle_wait_repo, koji.util.RepoWatcher)."""
    skip = need(ctx, "basetag", "target", "user2")
    if skip:
        return skip
    s = anon(ctx)
    out = []
    repo = cmd_wait_repo(s, ctx, out, ctx.basetag)
    m = methods_sent(s)
    check.equal(m[:6], ["getKojiVersion", "getAPIVersion", "getTag", "getBuildTargets", "getTag",
                        "tagLastChangeEvent"], "wait-repo calls")
    check.that(m[6:] and set(m[6:]) == {"repo.get"}, "then repo.get: %r" % m[6:])
    base = s.getTag(ctx.basetag)
    check.equal(params_sent(s, 2), (ctx.basetag,), "getTag(TAG)")
    check.equal(params_sent(s, 3), (kw(buildTagID=base["id"]),), "getBuildTargets(buildTagID=id)")
    check.equal(params_sent(s, 4), (base["id"], kw(strict=True)), "getTag(id, strict=True)")
    check.equal(params_sent(s, 6), (base["id"], kw(min_event=params_sent(s, 6)[1]["min_event"], at_event=None,
                                                   opts=None)), "repo.get params")
    check.equal(out, ["The --request option is recommended for faster results", "Got repo %d" % repo["id"],
                      "Repo info: %s/repoinfo?repoID=%d" % (ctx.weburl, repo["id"])], "output (repo.auto: no warning)")
    for key in ("id", "tag_id", "create_event", "state", "dist", "task_id", "opts"):
        check.that(key in repo, "repo has %s" % key)
    check.equal((repo["tag_id"], repo["state"]), (base["id"], 1), "a READY repo of the tag")
    tgt = s.getBuildTargets(buildTagID=base["id"])
    check.that(tgt and all(k in tgt[0] for k in ("id", "name", "build_tag", "dest_tag", "build_tag_name",
                                                 "dest_tag_name")), "getBuildTargets fields: %r" % tgt)
    s.close()

    s = anon(ctx)
    out = []
    repo = cmd_wait_repo(s, ctx, out, ctx.target, target=True)
    check.equal(methods_sent(s)[:6], ["getKojiVersion", "getAPIVersion", "getBuildTarget", "getTag", "getTag",
                                      "tagLastChangeEvent"], "wait-repo --target calls")
    check.equal(params_sent(s, 2), (ctx.target,), "getBuildTarget(X)")
    check.equal(params_sent(s, 3), (base["id"], kw(strict=True)), "getTag(build_tag, strict=True)")
    check.equal(repo["tag_id"], base["id"], "the build tag's repo")
    s.close()
    check.raises(UsageError, lambda: cmd_wait_repo(anon(ctx), ctx, [], "no-such-target", target=True),
                 "No such target: no-such-target", "an unknown target")

    # --request on a fresh sidetag (no repo yet): repo.request, then repo.checkRequest until the repo is there
    st = quiet_sidetag(ctx)
    s = as_user2(ctx)
    out = []
    repo = cmd_wait_repo(s, ctx, out, st["name"], request=True)
    s.logout()
    m = methods_sent(s)
    check.equal(m[:7], ["login", "getAPIVersion", "getTag", "getBuildTargets", "getTag", "tagLastChangeEvent",
                        "repo.request"], "wait-repo --request calls")
    check.that(set(m[7:-1]) <= {"repo.checkRequest"} and m[-1] == "logout", "then repo.checkRequest: %r" % m[7:])
    rp = params_sent(s, 6)
    check.equal((rp[0], rp[1]["at_event"], rp[1]["opts"], isinstance(rp[1]["min_event"], int)),
                (st["id"], None, None, True), "repo.request(id, min_event=E, at_event=None, opts=None)")
    check.equal(out[-2:], ["Got repo %d" % repo["id"], "Repo info: %s/repoinfo?repoID=%d" % (ctx.weburl, repo["id"])],
                "--request output")
    check.that("This tag is not configured for automatic regeneration" in out, "the repo.auto warning")
    check.that("The --request option is recommended for faster results" not in out, "no --request hint")
    check.equal(repo["tag_id"], st["id"], "the sidetag's repo")
    check_wire(check, s, len(s.sent) - 1)
    # the reply shapes the watcher reads
    activate_session(s)
    check_ = s.repo.request(st["id"], min_event=None, at_event=None, opts=None)
    check.equal(sorted(check_), ["duplicate", "repo", "request"], "repo.request fields")
    # force=True: a new request although a repo is there, followed as RepoWatcher.wait_request does
    req = s.repo.request(st["id"], min_event=None, at_event=None, opts=None, force=True).get("request")
    fields = ("task_id", "task_state", "repo_id", "active", "tries")
    if check.that(req, "a forced request: %r" % (req,)):
        check.that(all(f in req for f in ("id", "min_event") + fields), "request fields: %r" % (req,))
        until = time.time() + ctx.wait_timeout
        while True:
            c = s.repo.checkRequest(req["id"])
            check.equal(sorted(c), ["repo", "request"], "repo.checkRequest fields")
            check.that(all(f in c["request"] for f in fields), "checkRequest's request fields: %r" % (c["request"],))
            if c.get("repo") or not c["request"].get("active") or time.time() > until:
                break
            time.sleep(ctx.poll_interval)
        check.that(c.get("repo") and c["repo"]["tag_id"] == st["id"], "the request got its repo: %r" % (c,))
        if c["request"].get("task_id"):
            check.equal(c["request"]["task_state"], 2, "task_state of the request's CLOSED newRepo task")
    s.logout()
    s.close()


# ---- package lists: koji add-pkg, block-pkg, unblock-pkg, remove-pkg, list-pkgs (koji_cli/commands.py) --

def cmd_add_pkg(session, out, tag, packages, owner, extra_arches=None, force=None):
    """handle_add_pkg: getUser, getTag, listPackages, then the adds in one multicall."""
    if not session.getUser(owner):
        raise CLIExit(1)
    activate_session(session)
    opts = {"force": force, "block": False}
    dsttag = session.getTag(tag)
    if dsttag is None:
        raise CLIExit(1)
    listed = dict((p["package_name"], p["package_id"])
                  for p in session.listPackages(tagID=dsttag["id"], with_owners=False))
    to_add = []
    for package in packages:
        if listed.get(package) is not None:
            out.append("Package %s already exists in tag %s" % (package, tag))
            continue
        to_add.append(package)
    if extra_arches:
        opts["extra_arches"] = " ".join(extra_arches.replace(",", " ").split())
    out.append("Adding %i packages to tag %s" % (len(to_add), dsttag["name"]))
    session.multicall = True
    for package in to_add:
        session.packageListAdd(tag, package, owner, **opts)
    session.multiCall(strict=True)


def cmd_block_pkg(session, out, tag, packages, force=False):
    """handle_block_pkg: every package must be listed (inherited counts), then one multicall."""
    activate_session(session)
    dsttag = session.getTag(tag)
    if dsttag is None:
        raise CLIExit(1)
    listed = dict((p["package_name"], p["package_id"])
                  for p in session.listPackages(tagID=dsttag["id"], inherited=True, with_owners=False))
    ret = 0
    for package in packages:
        if listed.get(package) is None:
            out.append("Package %s doesn't exist in tag %s" % (package, tag))
            ret = 1
    if ret:
        raise CLIExit(ret)
    session.multicall = True
    for package in packages:
        if force:
            session.packageListBlock(tag, package, force=force)
        else:
            session.packageListBlock(tag, package)
    session.multiCall(strict=True)


def cmd_unblock_pkg(session, tag, packages):
    """handle_unblock_pkg: one multicall, no checks of its own."""
    activate_session(session)
    session.multicall = True
    for package in packages:
        session.packageListUnblock(tag, package)
    session.multiCall(strict=True)


def cmd_list_pkgs(session, out, tag=None, owner=None, package=None, noinherit=False, show_blocked=False,
                  quiet=False):
    """anon_handle_list_pkgs: Koji's columns, blocked rows only with --show-blocked."""
    ensure_connection(session)
    opts = {}
    if owner:
        user = session.getUser(owner)
        if user is None:
            raise UsageError("No such user: %s" % owner)
        opts["userID"] = user["id"]
    if tag:
        t = session.getTag(tag)
        if t is None:
            raise UsageError("No such tag: %s" % tag)
        opts["tagID"] = t["id"]
    if package:
        opts["pkgID"] = package
    allpkgs = not opts
    opts["inherited"] = not noinherit
    opts["with_dups"] = None if tag else True
    if show_blocked:
        opts["with_blocked"] = show_blocked
    data = session.listPackages(**opts)
    if not data:
        raise CLIExit(1)
    if not quiet:
        if allpkgs:
            out.append("Package")
            out.append("-" * 23)
        else:
            out.append("%-23s %-23s %-16s %-15s" % ("Package", "Tag", "Extra Arches", "Owner"))
            out.append("%s %s %s %s" % ("-" * 23, "-" * 23, "-" * 16, "-" * 15))
    for pkg in data:
        if allpkgs:
            out.append(pkg["package_name"])
            continue
        if not show_blocked and pkg.get("blocked", False):
            continue
        if pkg["extra_arches"] is None:
            pkg["extra_arches"] = ""
        fmt = "%(package_name)-23s %(tag_name)-23s %(extra_arches)-16s %(owner_name)-15s"
        if pkg.get("blocked", False):
            fmt += " [BLOCKED]"
        out.append(fmt % pkg)


@scenario
def package_lists(ctx, check):
    """koji add-pkg, block-pkg, list-pkgs, unblock-pkg on the wire: multicalls, keyword args, rows."""
    s = new_session(ctx)
    activate_session(s)
    stamp = str(int(time.time() * 1000))
    parent, child = "pl-parent-" + stamp, "pl-child-" + stamp
    s.createTag(parent)
    s.createTag(child, parent=parent)

    def cli(cmd, *args, **kwargs):
        """One koji command: a session of its own, as each koji process has."""
        c = new_session(ctx)
        try:
            cmd(c, *args, **kwargs)
        finally:
            c.close()
        return c

    out = []
    c = cli(cmd_add_pkg, out, parent, ["bash", "zsh"], ctx.user, extra_arches="i686,s390x")
    check.equal(out, ["Adding 2 packages to tag %s" % parent], "add-pkg output")
    check.equal(methods_sent(c), ["getUser", "login", "getAPIVersion", "getTag", "listPackages", "multiCall"],
                "add-pkg calls")
    calls = params_sent(c, -1)[0]
    check.equal([x["methodName"] for x in calls], ["packageListAdd", "packageListAdd"], "one multicall of adds")
    check.equal(calls[0]["params"], [parent, "bash", ctx.user, kw(force=None, block=False, extra_arches="i686 s390x")],
                "packageListAdd's keyword arguments, force=None as the CLI sends it")
    out = []
    cli(cmd_add_pkg, out, parent, ["bash"], ctx.user)
    check.equal(out, ["Package bash already exists in tag %s" % parent, "Adding 0 packages to tag %s" % parent],
                "add-pkg of a listed package")
    out = []
    e = check.raises(CLIExit, lambda: cli(cmd_block_pkg, out, child, ["nope"]), what="block-pkg of an unlisted package")
    check.equal(out, ["Package nope doesn't exist in tag %s" % child], "block-pkg warning")
    check.that(e is None or e.status == 1, "block-pkg exits 1")
    cli(cmd_block_pkg, [], child, ["bash"])
    check.equal(s.checkTagPackage(child, "bash"), False, "blocked in the child")
    check.equal(s.checkTagPackage(parent, "bash"), True, "still listed in the parent")
    out = []
    cli(cmd_list_pkgs, out, tag=child, show_blocked=True)
    check.equal(out, [
        "Package                 Tag                     Extra Arches     Owner          ",
        "----------------------- ----------------------- ---------------- ---------------",
        "bash                    %-23s i686 s390x       %-15s [BLOCKED]" % (child, ctx.user),
        "zsh                     %-23s i686 s390x       %-15s" % (parent, ctx.user),
    ], "list-pkgs --tag --show-blocked, byte for byte")
    out = []
    cli(cmd_list_pkgs, out, tag=child, quiet=True)
    check.equal(out, ["zsh                     %-23s i686 s390x       %-15s" % (parent, ctx.user)],
                "a blocked row is left out without --show-blocked")
    check.raises(GenericError, lambda: s.packageListUnblock(parent, "bash"),
                 "package bash NOT blocked in tag %s" % parent, "unblocking what is not blocked")
    cli(cmd_unblock_pkg, child, ["bash"])
    check.equal(s.checkTagPackage(child, "bash"), True, "unblocked")
    s.multicall = True
    s.packageListAdd(child, "vim", ctx.user)
    s.packageListRemove(child, "vim")
    s.packageListSetOwner(child, "nope-" + stamp, ctx.user)
    results = s.multiCall()
    check.equal(results[:2], [[None], [None]], "None results inside a multicall")
    check.equal(results[2]["faultCode"], 1000, "a fault inside a multicall")
    check.that("nope-" + stamp in results[2]["faultString"], "the fault names the package: %r" % results[2])
    s.logout()
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
    p.add_argument("--user2", default="", help="a user with the runroot permission (the plugin scenarios)")
    p.add_argument("--password2", default="")
    p.add_argument("--user3", default="", help="a user without permissions")
    p.add_argument("--password3", default="")
    p.add_argument("--basetag", default="", help="a tag with arches whose sidetags may set debuginfo and macros")
    p.add_argument("--target", default="", help="a build target whose build tag is --basetag")
    p.add_argument("--failed-task", type=int, default=0,
                   help="a FAILED runroot task of --user2's on --basetag with its buildroot kept")
    p.add_argument("--free-task", type=int, default=0, help="a FREE sleep task of --user's that nobody takes")
    p.add_argument("--weburl", default="http://127.0.0.1:8080/koji")
    p.add_argument("--topurl", default="http://127.0.0.1:8080/files")
    p.add_argument("--topdir", default="/mnt/koji")
    p.add_argument("--poll-interval", type=float, default=0.1, help="the CLI's poll_interval (seconds)")
    p.add_argument("--wait-timeout", type=float, default=30, help="how long wait-repo waits (seconds)")
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
