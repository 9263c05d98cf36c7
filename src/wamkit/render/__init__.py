"""Rendering results for people: terminal tables, Markdown, HTML, SVG; one number formatter."""
