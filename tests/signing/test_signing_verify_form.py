"""The signature check form asks for a PDF when none was chosen, instead of calling nothing "not a PDF"."""

from __future__ import annotations

from fastapi.testclient import TestClient

BOUNDARY = "----trang-kiem-tra"
# What a browser sends when the file field is left empty: the part, with an empty file name and no bytes.
NO_FILE = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="file"; filename=""\r\n'
    "Content-Type: application/octet-stream\r\n\r\n\r\n"
    f"--{BOUNDARY}--\r\n"
).encode()
HEADERS = {"accept": "text/html", "content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def test_no_file_chosen_asks_to_choose_a_pdf(client: TestClient) -> None:
    empty = client.post("/kiem-tra-chu-ky", content=NO_FILE, headers=HEADERS)
    assert empty.status_code == 422 and "Hãy chọn một tệp PDF để kiểm tra." in empty.text
    assert "không phải là PDF" not in empty.text and 'name="file"' in empty.text
    client.cookies.set("lang", "en")
    english = client.post("/kiem-tra-chu-ky", content=NO_FILE, headers=HEADERS)
    assert "Please choose a PDF file to check." in english.text and "Hãy chọn" not in english.text
