"""``moli federation``: node identity, signed catalogue, peers, pull-sync, remote catalogue."""

from __future__ import annotations

import json

import typer

app = typer.Typer(help="平台互联：节点身份、目录签名与同步 / federation: node identity, signed catalogue, pull-sync",
                  no_args_is_help=True)
peer_app = typer.Typer(help="对等节点 / peer nodes", no_args_is_help=True)
app.add_typer(peer_app, name="peer")


def _print(obj: object) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False))


@app.command("identity")
def identity_cmd() -> None:
    """本节点身份与公钥 / this node's id, name and public key."""
    from moli.federation import service

    _print(service.node_info())


@app.command("rotate-key")
def rotate_key_cmd(finish: bool = typer.Option(False, "--finish", help="结束轮换，删除旧钥 / end the rotation: "
                                                                       "delete the old key")) -> None:
    """轮换节点密钥：新钥签名，旧钥为其背书直到 --finish / rotate the node key: the new key signs, the old
    one endorses it until --finish, so peers that pinned it follow on their next pull."""
    from moli.federation import identity

    _print(identity.finish_rotation() if finish else identity.rotate_key())


@app.command("catalogue")
def catalogue_cmd(url: str = typer.Option("", "--url", help="本节点对外地址 / this node's base URL")) -> None:
    """打印本节点签名的公开目录 / print this node's signed public catalogue."""
    from moli.core.db import ensure_database, session_scope
    from moli.federation import service

    ensure_database()
    with session_scope() as s:
        _print(service.build_catalogue(s, url or None))


@peer_app.command("add")
def peer_add(name: str = typer.Argument(..., help="节点名称 / peer name"),
             url: str = typer.Argument(..., help="节点地址 / base URL, e.g. https://moli.example.cn"),
             public_key: str = typer.Option("", "--public-key", help="对方公钥（base64），缺省为首次同步时信任 / "
                                                                     "the peer's key (base64); default: trust on first pull"),
             replace: bool = typer.Option(False, "--replace", help="替换已有节点的地址或公钥 / replace an existing peer's URL or key")) -> None:
    """添加对等节点 / add a peer."""
    from moli.core.db import ensure_database, session_scope
    from moli.federation import service

    ensure_database()
    with session_scope() as s:
        _print(service.peer_dict(service.add_peer(s, name, url, public_key or None, replace=replace)))


@peer_app.command("list")
def peer_list() -> None:
    """列出对等节点 / list peers (one JSON line each)."""
    from moli.core.db import ensure_database, session_scope
    from moli.federation import service

    ensure_database()
    with session_scope() as s:
        for p in service.list_peers(s):
            _print(service.peer_dict(p))


@peer_app.command("remove")
def peer_remove(name: str = typer.Argument(..., help="节点名称 / peer name")) -> None:
    """删除对等节点及其远端条目 / remove a peer with its remote entries and sync log."""
    from moli.core.db import ensure_database, session_scope
    from moli.federation import service

    ensure_database()
    with session_scope() as s:
        _print({"removed": name, **service.remove_peer(s, name)})


@app.command("pull")
def pull_cmd(peer: str = typer.Argument("", help="节点名称，缺省为全部 / peer name, default all"),
             timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="每次请求超时（秒） / per-request timeout (s)"),
             attempts: int = typer.Option(3, "--attempts", min=1, help="尝试次数 / attempts per peer")) -> None:
    """拉取对等节点目录 / pull peers' catalogues; exit 1 when a peer failed."""
    from moli.core.db import ensure_database, session_scope
    from moli.federation import service

    ensure_database()
    with session_scope() as s:
        syncs = service.pull(s, peer or None, timeout=timeout, attempts=attempts)
    for x in syncs:
        _print(x)
    if any(x["status"] != "ok" for x in syncs):
        raise typer.Exit(1)


@app.command("remote")
def remote_cmd(q: str = typer.Option("", "--q", help="按名称或领域搜索 / search name or domain"),
               kind: str = typer.Option("", "--kind", help="corpus | offering | scenario"),
               peer: str = typer.Option("", "--peer", help="只看某节点 / one peer only"),
               withdrawn: bool = typer.Option(False, "--withdrawn", help="包括已撤回的 / include withdrawn")) -> None:
    """远端目录（每行一个 JSON） / the remote catalogue, one JSON line per entry."""
    from moli.core.db import ensure_database, session_scope
    from moli.federation import service

    ensure_database()
    with session_scope() as s:
        for e, p in service.search_remote(s, q, kind=kind or None, peer=peer or None, include_withdrawn=withdrawn):
            _print(service.remote_dict(e, p))
