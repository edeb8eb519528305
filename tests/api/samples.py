"""Small, realistic export files of other apps, written by hand from their documented shapes,
with branches: ChatGPT's `conversations.json` and Open WebUI's chat export."""

from __future__ import annotations

from typing import Any

T0 = 1_700_000_000.0  # 2023-11-14


def _node(
    node_id: str,
    parent: str | None,
    children: list[str],
    role: str | None = None,
    parts: list[Any] | None = None,
    *,
    at: float = 0,
    content_type: str = "text",
    model: str | None = None,
    hidden: bool = False,
) -> dict[str, Any]:
    if role is None:
        return {"id": node_id, "message": None, "parent": parent, "children": children}
    metadata: dict[str, Any] = {}
    if model:
        metadata["model_slug"] = model
        metadata["finish_details"] = {"type": "stop", "stop_tokens": [100260]}
    if hidden:
        metadata["is_visually_hidden_from_conversation"] = True
    return {
        "id": node_id,
        "message": {
            "id": node_id,
            "author": {"role": role, "name": None, "metadata": {}},
            "create_time": T0 + at,
            "update_time": None,
            "content": {"content_type": content_type, "parts": parts or []},
            "status": "finished_successfully",
            "end_turn": True,
            "weight": 1.0,
            "metadata": metadata,
            "recipient": "all",
        },
        "parent": parent,
        "children": children,
    }


def chatgpt_conversation(conv_id: str = "c0ffee00-0000-4000-8000-000000000001") -> dict[str, Any]:
    """Root, a hidden system message, a question answered twice (the second answer is the
    current one), a tool call in between on the first branch, and an image the user sent."""
    mapping = {
        "root": _node("root", None, ["sys"]),
        "sys": _node("sys", "root", ["u1"], "system", [""], hidden=True),
        "u1": _node("u1", "sys", ["a1", "a2"], "user", ["What is the capital of France?"], at=1),
        "a1": _node("a1", "u1", ["t1"], "assistant", ["Paris."], at=2, model="gpt-4o"),
        "t1": _node("t1", "a1", ["a1b"], "tool", ["search results"], at=3),
        "a1b": _node("a1b", "t1", [], "assistant", ["Paris, for sure."], at=4, model="gpt-4o"),
        "a2": _node("a2", "u1", ["u2"], "assistant", ["It is Paris."], at=5, model="gpt-4o-mini"),
        "u2": _node(
            "u2",
            "a2",
            ["a3"],
            "user",
            [
                {"content_type": "image_asset_pointer", "asset_pointer": "file-service://x"},
                "And this?",
            ],
            at=6,
            content_type="multimodal_text",
        ),
        "a3": _node("a3", "u2", ["code"], "assistant", ["A croissant."], at=7, model="gpt-4o"),
        "code": _node("code", "a3", [], "assistant", [], at=8, content_type="code"),
    }
    mapping["code"]["message"]["content"] = {
        "content_type": "code",
        "language": "python",
        "text": "1",
    }
    return {
        "title": "Capital <i>of</i> France",
        "create_time": T0,
        "update_time": T0 + 8,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": "code",
        "plugin_ids": None,
        "conversation_id": conv_id,
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "safe_urls": [],
        "default_model_slug": "gpt-4o",
        "id": conv_id,
    }


def chatgpt_export() -> list[dict[str, Any]]:
    second = {
        "title": "Short one",
        "create_time": T0 + 100,
        "update_time": T0 + 101,
        "mapping": {
            "r": _node("r", None, ["q"]),
            "q": _node("q", "r", ["a"], "user", ["Hi"], at=100),
            "a": _node("a", "q", [], "assistant", ["Hello!"], at=101, model="gpt-4o"),
        },
        "current_node": "a",
        "id": "c0ffee00-0000-4000-8000-000000000002",
    }
    return [chatgpt_conversation(), second]


def _owui_message(
    message_id: str,
    parent: str | None,
    children: list[str],
    role: str,
    content: str,
    at: int,
    model: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": message_id,
        "parentId": parent,
        "childrenIds": children,
        "role": role,
        "content": content,
        "timestamp": at,
    }
    if role == "user":
        message["models"] = ["llama3.1:8b"]
    else:
        message.update(model=model, modelName=model, modelIdx=0, userContext=None, done=True)
    return message


def openwebui_chat(chat_id: str = "5d2c1a7e-8a39-4b0e-9b7a-0c3a2f1e9d01") -> dict[str, Any]:
    """One chat: a question answered, then edited (a second user message under the root)
    and answered again; the edit is current."""
    t = 1_710_000_000
    messages = {
        "m1": _owui_message("m1", None, ["m2"], "user", "Name a red fruit.", t),
        "m2": _owui_message("m2", "m1", [], "assistant", "A strawberry.", t + 1, "llama3.1:8b"),
        "m3": _owui_message("m3", None, ["m4"], "user", "Name a yellow fruit.", t + 2),
        "m4": _owui_message("m4", "m3", [], "assistant", "A banana.", t + 3, "llama3.1:8b"),
    }
    return {
        "id": chat_id,
        "user_id": "3f1d0c9a-0000-4000-8000-00000000beef",
        "title": "Fruit quiz",
        "chat": {
            "id": "",
            "title": "Fruit quiz",
            "models": ["llama3.1:8b"],
            "params": {},
            "history": {"messages": messages, "currentId": "m4"},
            "messages": [messages["m3"], messages["m4"]],
            "tags": [],
            "timestamp": t * 1000,
            "files": [],
        },
        "updated_at": t + 3,
        "created_at": t,
        "share_id": None,
        "archived": False,
        "pinned": True,
        "meta": {"tags": ["quiz"]},
        "folder_id": None,
    }


def openwebui_export_all() -> list[dict[str, Any]]:
    second = openwebui_chat("9b8e7d6c-0000-4000-8000-000000000002")
    second["title"] = second["chat"]["title"] = "Fruit quiz, again"
    second["pinned"] = False
    second["meta"] = {"tags": []}
    return [openwebui_chat(), second]
