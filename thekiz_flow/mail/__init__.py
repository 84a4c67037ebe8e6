"""Mail: rendering (Jinja2, German), building the message and delivering it (SMTP or files).

render.Renderer     templates/mail/NAME.txt.j2 and NAME.html.j2 -> Rendered (subject, text, html)
message.build_message   a Mail -> an OutgoingMessage: envelope and wire bytes, one recipient
delivery.Backend    deliver(mails, now, lease) -> Outcomes, each mail only while its lease
                    holds; SmtpBackend (aiosmtplib), FileBackend (.eml)
"""
