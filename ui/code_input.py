"""The scanner code editor: Ace through streamlit-code-editor (monospace, Python highlighting, tab indents, line
numbers), or a plain text area a toggle away.

The component hands its text back when the editor loses focus and after a pause in typing (`response_mode`),
so Validate, Save and Dry run read what is on screen. Before the first edit it hands back nothing, so the stored
code stands. The plain text area stays for whoever prefers it (screen readers, phones) and for AppTest, which
cannot type into a component.
"""

from __future__ import annotations

import streamlit as st
from code_editor import code_editor

PLAIN = "scanners.plain_editor"  # the toggle's key: True shows the plain text area
EDITOR_OPTIONS = {"tabSize": 4, "useSoftTabs": True, "showLineNumbers": True, "wrap": False}


def code_input(label: str, code: str, *, key: str, height: int = 360) -> str:
    """The code as it stands in the editor (the stored `code` until someone edits it)."""
    plain = st.toggle("Plain text editor", key=PLAIN, help="A plain text box instead of the code editor.")
    if plain:
        return st.text_area(label, code, height=height, key=key)
    st.markdown(f"**{label}**")
    result = code_editor(
        code,
        lang="python",
        height=[18, 30],  # lines: grows with the code up to 30, then scrolls
        options=EDITOR_OPTIONS,
        response_mode=["blur", "debounce"],
        key=f"{key}.editor",
    )
    return result["text"] if result and result.get("type") else code
