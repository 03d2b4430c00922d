"""File messages over a live sandbox: multipart and base64 uploads on flow and private paths,
the 302 to a short-lived signed link, size limits, removal, and the files kept beside the
data file."""

from __future__ import annotations

import base64
import os
import struct
import zlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from flowdock_desktop.sandbox import SandboxConfig
from tests.sandbox.conftest import API_AUTH, SAM_AUTH, create_source

WAIT = {"X-flowdock-wait-for-message": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)


def _client(server) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, auth=API_AUTH, timeout=20)


def _upload(http: httpx.Client, path: str = "/flows/acme/main/messages", **extra) -> httpx.Response:
    return http.post(
        path,
        data={"event": "file", "tags": "shot", **extra},
        files={"content": ("screen shot.png", PNG, "image/png")},
    )


def _fetch(http: httpx.Client, path: str, auth=API_AUTH) -> httpx.Response:
    """Follow a file's REST path as a client would: 302, then the signed link without
    credentials."""
    redirect = http.get(path, auth=auth)
    assert redirect.status_code == 302, redirect.text
    return httpx.get(redirect.headers["location"], timeout=20)


def test_upload_to_a_flow_and_download(http: httpx.Client) -> None:
    reply = _upload(http)
    assert reply.status_code == 201, reply.text
    message = reply.json()
    flow_id = message["flow"]
    attachment = message["content"]
    assert message["event"] == "file" and message["attachments"] == [attachment]
    assert attachment["file_name"] == "screen shot.png"
    assert attachment["content_type"] == "image/png" and attachment["file_size"] == len(PNG)
    assert attachment["path"].startswith(f"/files/{flow_id}/")
    assert attachment["path"].endswith("/screen%20shot.png")
    assert set(message["tags"]) == {"shot", ":file"}
    listed = http.get("/flows/acme/main/messages", params={"event": "file"}).json()
    assert [m["id"] for m in listed] == [message["id"]]
    assert [m["id"] for m in http.get("/flows/acme/main/messages", params={"tags": ":file"}).json()]

    redirect = http.get(attachment["path"])
    assert redirect.status_code == 302 and redirect.headers["Flowdock-User"] == "1"
    link = redirect.headers["location"]
    assert link.startswith(f"{http.base_url}/downloads/")
    assert set(parse_qs(urlsplit(link).query)) == {"expires", "signature"}
    got = httpx.get(link)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("inline;")
    # The link is for this file only, and says so when tampered with.
    assert httpx.get(link.replace("signature=", "signature=0")).status_code == 403
    other = _upload(http).json()["content"]["path"].split("/")[3]
    assert httpx.get(link.replace(attachment["path"].split("/")[3], other)).status_code == 403


def test_file_paths_need_a_reader_who_may_see_them(http: httpx.Client) -> None:
    path = _upload(http, "/flows/acme/announcements/messages").json()["content"]["path"]
    assert http.get(path, auth=None).status_code == 401
    # Sam may read Announcements while it is open to the organization, not once it is not.
    assert http.get(path, auth=SAM_AUTH).status_code == 302
    http.put("/flows/acme/announcements", json={"access_mode": "invitation"})
    assert http.get(path, auth=SAM_AUTH).status_code == 404
    main = _upload(http).json()["content"]["path"]
    assert _fetch(http, main, auth=SAM_AUTH).content == PNG  # Sam is in Main
    flow_id, key = main.split("/")[2:4]
    assert http.get(f"/files/{flow_id}/{'0' * 32}/x.png").status_code == 404
    announcements = path.split("/")[2]
    # A file of one flow is not found under another flow's path.
    assert http.get(f"/files/{announcements}/{key}/x.png").status_code == 404


def test_expired_links_are_refused(make_server) -> None:
    with _client(make_server(SandboxConfig(download_url_ttl=-5))) as http:
        path = _upload(http).json()["content"]["path"]
        link = http.get(path).headers["location"]
        refused = httpx.get(link)
        assert refused.status_code == 403 and "expired" in refused.json()["message"]


def test_base64_file_in_json(http: httpx.Client) -> None:
    flow_id = http.get("/flows/acme/main").json()["id"]
    body = {
        "flow": flow_id,
        "event": "file",
        "content": {
            # Flowdock's example wraps its base64 in lines.
            "data": base64.encodebytes(b"hello, file").decode(),
            "content_type": "text/plain",
            "file_name": "../../etc/notes.txt",
        },
    }
    queued = http.post("/messages", json=body)
    assert queued.status_code == 202 and queued.json() == {}
    message = http.post("/messages", json=body, headers=WAIT).json()
    assert message["content"]["file_name"] == "notes.txt"  # no folders from a client
    got = _fetch(http, message["content"]["path"])
    assert got.content == b"hello, file"
    assert got.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"data": "not base64!", "file_name": "a.txt"}, "content.data"),
        ({"data": "", "file_name": "a.txt"}, "content.data"),
        ({"data": "aGk=", "file_name": ""}, "content.file_name"),
        ("just text", "content"),
    ],
)
def test_bad_base64_files_are_400(http: httpx.Client, content, field) -> None:
    body = {"event": "file", "content": content}
    reply = http.post("/flows/acme/main/messages", json=body)
    assert reply.status_code == 400 and field in reply.json()["errors"], reply.text


def test_a_file_field_without_a_file_is_400(http: httpx.Client) -> None:
    reply = http.post("/flows/acme/main/messages", data={"event": "file", "content": "text"})
    assert reply.status_code == 400 and "content" in reply.json()["errors"]
    empty = http.post(
        "/flows/acme/main/messages", data={"event": "file"}, files={"content": ("e.txt", b"")}
    )
    assert empty.status_code == 400 and "content" in empty.json()["errors"]


def test_too_large_files_are_413(make_server) -> None:
    limit = 4096
    server = make_server(SandboxConfig(max_file_bytes=limit))
    with _client(server) as http:
        over = http.post(
            "/flows/acme/main/messages",
            data={"event": "file"},
            files={"content": ("big.bin", b"x" * (limit + 1))},
        )
        assert over.status_code == 413
        assert over.json()["message"].startswith("The file is larger than 4 KB")
        at = http.post(
            "/flows/acme/main/messages",
            data={"event": "file"},
            files={"content": ("fits.bin", b"x" * limit)},
        )
        assert at.status_code == 201
        encoded = base64.b64encode(b"y" * (limit + 1)).decode()
        as_json = http.post(
            "/flows/acme/main/messages",
            json={"event": "file", "content": {"data": encoded, "file_name": "big.txt"}},
        )
        assert as_json.status_code == 413
        # A body far beyond the upload limit is refused before anyone is authenticated.
        huge = httpx.post(
            f"{server.base_url}/flows/acme/main/messages",
            files={"content": ("huge.bin", b"z" * (server.config.max_upload_bytes + 1))},
        )
        assert huge.status_code == 413 and huge.json()["message"].startswith("The upload")
        stored = http.get("/flows/acme/main/messages", params={"event": "file"}).json()
        assert [m["content"]["file_name"] for m in stored] == ["fits.bin"]


def test_malformed_multipart_bodies_are_400(http: httpx.Client) -> None:
    for content_type, body in (
        ("multipart/form-data", b"--x\r\n"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nv"),
        ("multipart/form-data; boundary=x", b"garbage"),
    ):
        reply = http.post(
            "/flows/acme/main/messages", content=body, headers={"Content-Type": content_type}
        )
        assert reply.status_code == 400, (content_type, body, reply.text)


def test_private_files(http: httpx.Client) -> None:
    reply = _upload(http, "/private/2/messages")
    assert reply.status_code == 201, reply.text
    message = reply.json()
    assert message["to"] == "2" and message["content"]["path"].startswith("/private/1/2/files/")
    assert _fetch(http, message["content"]["path"], auth=SAM_AUTH).content == PNG
    # Sam's own upload to Demo lands in the same conversation.
    theirs = http.post(
        "/private/1/messages",
        data={"event": "file"},
        files={"content": ("note.txt", b"from Sam", "text/plain")},
        auth=SAM_AUTH,
    ).json()
    assert theirs["content"]["path"].startswith("/private/1/2/files/")
    assert _fetch(http, theirs["content"]["path"]).content == b"from Sam"
    assert http.get(message["content"]["path"].replace("/1/2/", "/2/3/")).status_code == 404
    # Removing your own file: 204; someone else's: 403.
    assert http.delete(f"/private/2/messages/{theirs['id']}").status_code == 403
    assert http.delete(f"/private/2/messages/{message['id']}").status_code == 204
    assert http.get(message["content"]["path"]).status_code == 404


def test_activity_attachments(http: httpx.Client) -> None:
    token = create_source(http)["flow_token"]
    reply = httpx.post(
        f"{http.base_url}/messages",
        data={
            "flow_token": token,
            "event": "activity",
            "author[name]": "CI",
            "title": "Built",
            "body": 'Screenshot: <img src="cid:shot">',
            "external_thread_id": "build:1",
            "thread[title]": "Build 1",
        },
        files={"attachments[shot]": ("shot.png", PNG, "image/png")},
        headers=WAIT,
    )
    assert reply.status_code == 201, reply.text
    [attachment] = reply.json()["attachments"]
    assert attachment["content_id"] == "shot" and attachment["file_size"] == len(PNG)
    assert _fetch(http, attachment["path"]).content == PNG
    refused = httpx.post(
        f"{http.base_url}/messages",
        json={
            "flow_token": token,
            "event": "activity",
            "author": {"name": "CI"},
            "title": "Built",
            "external_thread_id": "build:2",
            "thread": {"title": "Build 2"},
            "attachments": ["not a file"],
        },
    )
    assert refused.status_code == 400 and "attachments" in refused.json()["errors"]


def test_files_live_beside_the_data_file(tmp_path, make_server) -> None:
    data = tmp_path / "sandbox.db"
    folder = tmp_path / "sandbox.db.files"
    server = make_server(SandboxConfig(data_file=data))
    with _client(server) as http:
        mine = _upload(http).json()
        key = mine["content"]["path"].split("/")[3]
        assert (folder / key).read_bytes() == PNG
        # An upload no stored message uses is not kept.
        unused = http.post(
            "/flows/acme/main/messages",
            data={"event": "message", "content": "no file here"},
            files={"attachment": ("x.bin", b"unused")},
        )
        assert unused.status_code == 201
        assert sorted(p.name for p in folder.iterdir()) == [key]
    server.stop()
    (folder / ("f" * 32)).write_bytes(b"left behind by a crash")
    again = make_server(SandboxConfig(data_file=data))
    assert sorted(p.name for p in folder.iterdir()) == [key]
    with _client(again) as http:
        assert _fetch(http, mine["content"]["path"]).content == PNG
        assert http.delete(f"/flows/acme/main/messages/{mine['id']}").status_code == 204
        assert not (folder / key).exists()
        assert http.get(mine["content"]["path"]).status_code == 404


def test_only_your_own_files_can_be_deleted(http: httpx.Client) -> None:
    sams = http.post(
        "/flows/acme/main/messages",
        data={"event": "file"},
        files={"content": ("s.txt", b"sam's")},
        auth=SAM_AUTH,
    ).json()
    reply = http.delete(f"/flows/acme/main/messages/{sams['id']}")
    assert reply.status_code == 403
    assert _fetch(http, sams["content"]["path"]).content == b"sam's"


def _png_header(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


def test_images_carry_their_size(http: httpx.Client) -> None:
    png = http.post(
        "/flows/acme/main/messages",
        data={"event": "file"},
        files={"content": ("wide.png", _png_header(640, 480), "image/png")},
    ).json()
    assert png["content"]["image"] == {"width": 640, "height": 480}
    assert png["attachments"][0]["image"] == {"width": 640, "height": 480}
    gif = http.post(
        "/flows/acme/main/messages",
        data={"event": "file"},
        files={"content": ("tiny.gif", b"GIF89a" + struct.pack("<HH", 3, 5), "image/gif")},
    ).json()
    assert gif["content"]["image"] == {"width": 3, "height": 5}
    text = _upload(http).json()  # random bytes after a PNG signature: no size to read
    assert "image" not in text["content"]


def test_a_file_that_cannot_be_kept_is_507_in_plain_words(tmp_path, make_server) -> None:
    data = tmp_path / "sandbox.db"
    (tmp_path / "sandbox.db.files").write_text("a file where the folder should be")
    with _client(make_server(SandboxConfig(data_file=data))) as http:
        reply = _upload(http)
        assert reply.status_code == 507
        assert reply.json()["message"].startswith("The sandbox could not keep the file (")
        assert http.get("/flows/acme/main/messages", params={"event": "file"}).json() == []
        # Everything else goes on.
        chat = http.post("/flows/acme/main/messages", json={"event": "message", "content": "ok"})
        assert chat.status_code == 201


class _BlobWrites:
    """Records every blob the sandbox writes (and can make the n-th write fail)."""

    def __init__(self, blobs, fail_at: int | None = None) -> None:
        self.keys: list[str] = []
        self._put = blobs.put
        self._fail_at = fail_at

    def __call__(self, key: str, data: bytes) -> None:
        self.keys.append(key)
        if self._fail_at is not None and len(self.keys) == self._fail_at:
            raise OSError(28, "No space left on device")
        self._put(key, data)


def _kept_files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_refused_uploads_never_reach_the_disk(tmp_path, make_server, monkeypatch) -> None:
    """The caller is authenticated, the flow and the message checked and the size limit
    applied before any byte of an upload is written: nothing of a refused one is on disk,
    not even for a moment."""
    data = tmp_path / "sandbox.db"
    server = make_server(SandboxConfig(data_file=data, max_file_bytes=8192))
    folder = tmp_path / "sandbox.db.files"
    writes = _BlobWrites(server.state.blobs)
    monkeypatch.setattr(server.state.blobs, "put", writes)
    with httpx.Client(base_url=server.base_url, timeout=20) as admin:
        source = create_source(admin)
    file = {"content": ("shot.png", PNG, "image/png")}
    base = server.base_url
    with httpx.Client(base_url=base, timeout=20) as anyone:
        refused = {
            "no credentials": anyone.post("/flows/acme/main/messages", data={"event": "file"},
                                          files=file),
            "a wrong token": anyone.post("/flows/acme/main/messages", data={"event": "file"},
                                         files=file, headers={"Authorization": "Bearer nope"}),
            "a wrong flow_token field": anyone.post("/messages", files=file,
                                                    data={"event": "file", "flow_token": "nope"}),
            "not a member of the flow": anyone.post("/flows/acme/announcements/messages",
                                                    data={"event": "file"}, files=file,
                                                    auth=SAM_AUTH),
            "an unknown person": anyone.post("/private/99/messages", data={"event": "file"},
                                             files=file, auth=API_AUTH),
            "an activity without a title": anyone.post(
                "/messages",
                data={"flow_token": source["flow_token"], "event": "activity",
                      "author[name]": "CI", "external_thread_id": "x"},
                files={"attachments[shot]": ("shot.png", PNG, "image/png")},
            ),
            "a file over the limit": anyone.post("/flows/acme/main/messages", auth=API_AUTH,
                                                 data={"event": "file"},
                                                 files={"content": ("big.bin", b"x" * 8193)}),
        }  # fmt: skip
        statuses = {why: reply.status_code for why, reply in refused.items()}
        assert statuses == {
            "no credentials": 401,
            "a wrong token": 401,
            "a wrong flow_token field": 401,
            "not a member of the flow": 403,
            "an unknown person": 404,
            "an activity without a title": 400,
            "a file over the limit": 413,
        }
        assert writes.keys == [] and _kept_files(folder) == []
        # The same upload, from someone who may send it, is written once and kept.
        accepted = anyone.post("/flows/acme/main/messages", data={"event": "file"}, files=file,
                               auth=API_AUTH)  # fmt: skip
        assert accepted.status_code == 201, accepted.text
        key = accepted.json()["content"]["path"].split("/")[3]
        assert writes.keys == [key] and _kept_files(folder) == [key]


def test_a_failed_upload_leaves_none_of_its_files(tmp_path, make_server, monkeypatch) -> None:
    """When the second of two attachments cannot be written, the message is not stored and
    the first attachment's bytes are removed again."""
    data = tmp_path / "sandbox.db"
    server = make_server(SandboxConfig(data_file=data))
    writes = _BlobWrites(server.state.blobs, fail_at=2)
    monkeypatch.setattr(server.state.blobs, "put", writes)
    with _client(server) as http:
        token = create_source(http)["flow_token"]
        reply = http.post(
            "/messages",
            data={"flow_token": token, "event": "activity", "author[name]": "CI",
                  "title": "Built", "external_thread_id": "build:2", "thread[title]": "Build 2"},
            files=[("attachments[a]", ("a.png", PNG, "image/png")),
                   ("attachments[b]", ("b.png", PNG, "image/png"))],
        )  # fmt: skip
        assert reply.status_code == 507, reply.text
        assert "No space left on device" in reply.json()["message"]
        assert len(writes.keys) == 2
        assert _kept_files(tmp_path / "sandbox.db.files") == []
        assert http.get("/flows/acme/main/messages", params={"event": "activity"}).json() == []
