"""The web widget: the loader clinics embed, the chat page it frames, and a demo intake page."""
