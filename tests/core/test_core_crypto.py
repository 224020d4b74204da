"""Personal-data encryption, blind index and masking."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from smartcity.core.crypto import blind_index, decrypt_personal, encrypt_personal, mask


def test_round_trip_and_fresh_nonce():
    a = encrypt_personal("k1", "074203001234")
    b = encrypt_personal("k1", "074203001234")
    assert a != b and "074203001234" not in a
    assert decrypt_personal("k1", a) == "074203001234"


def test_wrong_key_or_altered_text_fails():
    token = encrypt_personal("k1", "secret")
    with pytest.raises(InvalidTag):
        decrypt_personal("k2", token)
    with pytest.raises((InvalidTag, ValueError)):
        decrypt_personal("k1", token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))


def test_blind_index_is_keyed_and_normalised():
    assert blind_index("k", "0742 0300 1234") == blind_index("k", "074203001234")
    assert blind_index("k", "074203001234") != blind_index("other", "074203001234")


def test_mask():
    assert mask("074203001234") == "*********234"
    assert mask("0912345678", keep_start=3, keep_end=2) == "091*****78"
    assert mask("ab") == "**"


def test_a_name_index_serves_word_beginnings_of_two_letters_or_whole_one_letter_words():
    from smartcity.core.crypto import email_index, name_term_indexes, query_term_indexes

    stored = name_term_indexes("secret", "Nguyễn Văn A")
    assert len(stored) == 5 + 2 + 1  # ng..nguyen, va van, a
    assert query_term_indexes("secret", "NGUYEN va a") <= stored
    for miss in ("n", "guyen", "vanx", "b"):
        assert not query_term_indexes("secret", miss) & stored, miss
    assert not name_term_indexes("another secret", "Nguyễn Văn A") & stored  # keyed
    assert query_term_indexes("secret", "  ") == set()
    assert email_index("secret", " An.Nguyen@Example.VN") == email_index("secret", "an.nguyen@example.vn")
