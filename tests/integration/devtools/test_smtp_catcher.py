import smtplib
from email.message import EmailMessage

from ciclo_dev.smtp_catcher import SmtpCatcher


def test_catcher_stores_a_real_smtp_message_with_attachment(tmp_path):
    with SmtpCatcher(tmp_path / "mail") as c:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "ciclo@example.pt", "financas@example.pt", "Relatório 202509"
        msg.set_content("Olá")
        msg.add_attachment(b"PK\x03\x04xlsx", maintype="application", subtype="octet-stream", filename="r.xlsx")
        with smtplib.SMTP(c.host, c.port, timeout=10) as s:
            s.send_message(msg)
        [path] = c.wait_for(1)
        [got] = c.messages()
    assert path.suffix == ".eml"
    assert got["Subject"] == "Relatório 202509"
    assert [p.get_filename() for p in got.iter_attachments()] == ["r.xlsx"]
    assert got.iter_attachments().__next__().get_content() == b"PK\x03\x04xlsx"
