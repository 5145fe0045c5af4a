"""Documents as PDF: Jinja2 templates per kind write a small markup; reportlab lays it out."""
