"""Results → what people read: terminal text and versioned JSON (Markdown and HTML come with `run`)."""
