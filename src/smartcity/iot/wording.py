"""The words staff pages use for the IoT registry's codes: statuses, severities, enum values, units, tags.

The names of telemetry keys are declared on the device types (`TelemetryKey.label`); everything else a page
shows as a word is here, in Vietnamese (the English is in the iot catalogue). A code with no word here (a
plug-in's value) falls back to something readable, never to an error."""

from __future__ import annotations

import re
from typing import Any

from smartcity.core.i18n import Phrase
from smartcity.core.i18n import said as stored_sentence
from smartcity.iot.device_types import device_types
from smartcity.iot.device_types.base import DeviceType, TelemetryKey
from smartcity.iot.device_types.camera import CAMERA_EVENT_NAMES

DEVICE_STATUSES = {
    "active": "Đang hoạt động",
    "inactive": "Tạm ngừng",
    "faulty": "Hỏng",
    "decommissioned": "Đã thu hồi",
}
ALARM_SEVERITIES = {
    "informational": "Thông tin",
    "low": "Thấp",
    "medium": "Trung bình",
    "warning": "Cần chú ý",
    "high": "Cao",
    "critical": "Nghiêm trọng",
}
ALARM_STATES = {"active": "Đang mở", "acknowledged": "Đã xác nhận", "cleared": "Đã đóng"}
COMMAND_STATUSES = {
    "pending": "chờ gửi",
    "sent": "đã gửi",
    "acknowledged": "đã xác nhận",
    "failed": "thất bại",
    "timed_out": "quá hạn, không có phản hồi",
}
# Why ingestion refused a message (iot.pipeline's reasons).
REJECTION_REASONS = {
    "malformed": "Tin sai định dạng",
    "unknown_device": "Thiết bị chưa đăng ký",
    "decommissioned": "Thiết bị đã thu hồi",
    "wrong_type": "Sai loại thiết bị",
    "unknown_key": "Thông số không có trong loại thiết bị",
    "invalid_value": "Giá trị ngoài phạm vi cho phép",
    "future_timestamp": "Thời điểm đo ở tương lai",
}
# The detail of a refusal, as ingestion stores it (iot.pipeline's and the device types' English, for the API),
# read back as words: a pattern of the detail and the Vietnamese it says (English: the iot catalogue).
# A part named like a number (value, minimum, maximum) is written with the page's digits.
_DETAIL = r"(?P<key>[^:;]+): "
REJECTION_DETAILS = [
    (r"not JSON: .*", "Nội dung tin không phải JSON."),
    (r"the message must be a JSON object", "Tin phải là một đối tượng JSON."),
    (r"no device '(?P<device>.*)' in the registry", "Không có thiết bị {device} trong sổ đăng ký."),
    (r"device '(?P<device>.*)' is decommissioned", "Thiết bị {device} đã thu hồi."),
    (
        r"topic says '(?P<topic>.*)', device is a '(?P<kind>.*)'",
        "Chủ đề tin ghi loại {topic}, thiết bị là loại {kind}.",
    ),
    (r"ts must be an ISO 8601 string", "Thời điểm đo (ts) phải viết theo ISO 8601."),
    (r"ts (?P<ts>.*) is not ISO 8601", "Thời điểm đo {ts} không viết theo ISO 8601."),
    (r"ts must carry a time zone.*", "Thời điểm đo phải có múi giờ (ví dụ Z hoặc +07:00)."),
    (r"ts (?P<ts>.*) is in the future", "Thời điểm đo {ts} ở tương lai."),
    (
        r"msg_id must be a string of 1 to (?P<count>\d+) characters",
        "Mã tin (msg_id) phải dài từ 1 đến {count} ký tự.",
    ),
    (r"an event message needs an 'event' name", "Tin sự kiện phải có tên sự kiện (event)."),
    (r"values must be a non-empty object", "Giá trị đo (values) phải là một đối tượng không rỗng."),
    (r"unknown key '(?P<key>.*)'", "Không có thông số {key} trong loại thiết bị."),
    (_DETAIL + r"expected true or false", "{key}: phải là có hoặc không (true/false)."),
    (_DETAIL + r"expected a short text", "{key}: phải là một đoạn chữ ngắn."),
    (_DETAIL + r"expected one of (?P<choices>.*)", "{key}: phải là một trong các giá trị {choices}."),
    (_DETAIL + r"expected a finite number", "{key}: phải là một số."),
    (
        _DETAIL + r"(?P<value>\S+) is below the physical minimum (?P<minimum>\S+)",
        "{key}: {value} thấp hơn mức nhỏ nhất có thể có ({minimum}).",
    ),
    (
        _DETAIL + r"(?P<value>\S+) is above the physical maximum (?P<maximum>\S+)",
        "{key}: {value} cao hơn mức lớn nhất có thể có ({maximum}).",
    ),
]
_DETAIL_PATTERNS = [(re.compile(pattern), said) for pattern, said in REJECTION_DETAILS]
_NUMBER_PARTS = ("value", "minimum", "maximum")
SOME_DETAIL = "Chi tiết kỹ thuật: {detail}"
# Enum values of the built-in types, by value (one meaning each across the types).
VALUE_NAMES = {
    "on": "Bật",
    "off": "Tắt",
    "low": "Sáng mức thấp",
    "bootingUp": "Đang khởi động",
    "yes": "Có",
    "no": "Không",
    "ok": "Bình thường",
    "lidOpen": "Nắp đang mở",
    "dropped": "Bị đổ",
    "burning": "Đang cháy",
    "good": "Tốt",
    "moderate": "Trung bình",
    "poor": "Kém",
    "bad": "Xấu",
    "very_bad": "Rất xấu",
    "hazardous": "Nguy hại",
    **CAMERA_EVENT_NAMES,
}
BOOLEAN_NAMES = {True: "Có", False: "Không"}
# UCUM or made-up unit codes written the way people write them; a unit not listed is shown as declared.
UNIT_SYMBOLS = {"Cel": "°C", "vehicles": "xe", "ratio": ""}
# Tags the platform itself puts on devices (the simulator's streets, the city services' own kinds).
TAG_NAMES = {
    "simulated": "mô phỏng",
    "simulate": "mô phỏng",
    "cameras": "camera",
    "lighting": "chiếu sáng",
    "waste": "rác thải",
    "environment": "môi trường",
    "traffic": "giao thông",
    "security": "an ninh",
    "surface": "thùng nổi",  # a waste container's kind (waste tags its devices with it)
    "underground": "thùng ngầm",
    "air": "quan trắc không khí",  # an environment station's kind
    "flood": "đo ngập",
    "dai-lo-binh-duong": "Đại lộ Bình Dương",
    "duong-30-thang-4": "Đường 30 Tháng 4",
    "cach-mang-thang-tam": "Đường Cách Mạng Tháng Tám",
    "yersin": "Đường Yersin",
    "huynh-van-luy": "Đường Huỳnh Văn Lũy",
}


def readable(code: str) -> str:
    """A code with no word of its own, split into words: "doorOpen" → "door open", "very_bad" → "very bad"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(code)).replace("_", " ").replace("-", " ")
    return spaced.lower().strip() or "—"


def key_label(kind: type[DeviceType], name: str) -> str:
    """What a telemetry key is called on a page: its declared label, else its description, else its name
    in words."""
    spec = kind.key(name)
    return (spec.label or spec.description) if spec and (spec.label or spec.description) else readable(name)


def unit_symbol(spec: TelemetryKey | None) -> str:
    """The key's unit as people write it ("°C" for UCUM "Cel"); empty when it has none."""
    if spec is None or not spec.unit:
        return ""
    return UNIT_SYMBOLS.get(spec.unit, spec.unit)


def value_name(value: Any) -> str:
    """The word for an enum or yes/no value; other text as it is."""
    if isinstance(value, bool):
        return BOOLEAN_NAMES[value]
    return VALUE_NAMES.get(str(value), str(value))


def value_words(spec: TelemetryKey | None) -> dict[str, str]:
    """The words for every value a key may take (for the live refresh), keyed as JavaScript prints them."""
    if spec is None:
        return {}
    if spec.kind == "boolean":
        return {"true": BOOLEAN_NAMES[True], "false": BOOLEAN_NAMES[False]}
    return {c: VALUE_NAMES.get(c, c) for c in spec.choices}


def word(words: dict[str, str], code: str | None) -> str:
    """The word for `code` in one of the dicts above, else the code in words ("—" for none)."""
    if not code:
        return "—"
    return words.get(code) or readable(code)


def tag_name(tag: str) -> str:
    """A tag as people read it (a tag staff wrote themselves is shown as they wrote it)."""
    return TAG_NAMES.get(tag, tag)


def alarm_message(message: str, phrase: dict[str, Any] | None) -> str:
    """An alarm's message as a `Phrase` the page translates: rebuilt from the phrase it keeps, else (an
    alarm raised before it kept one) its text as it is; "—" for none (gettext("") is a catalogue's header)."""
    return stored_sentence(message, phrase) or "—"


def rejection_detail(detail: str | None, kind: type[DeviceType] | None = None) -> str:
    """What the last refused message of a device had wrong, in words (a `Phrase` the page translates): each
    problem of the stored detail read back, a reading by its label and allowed values by their words when
    the device's type is known; a detail of no known shape as the technical text it is."""
    if not detail:
        return "—"
    said = [_detail_in_words(problem.strip(), kind) for problem in detail.split("; ")]
    return Phrase.joined(said)


def _detail_in_words(problem: str, kind: type[DeviceType] | None) -> Phrase:
    for pattern, said in _DETAIL_PATTERNS:
        if found := pattern.fullmatch(problem):
            parts = {name: _part_in_words(name, text, kind) for name, text in found.groupdict().items()}
            return Phrase(said, **parts)
    return Phrase(SOME_DETAIL, detail=problem)


def _part_in_words(name: str, text: str, kind: type[DeviceType] | None) -> Any:
    if name in _NUMBER_PARTS:
        try:
            return float(text)
        except ValueError:
            return text
    if name == "key" and kind is not None and kind.key(text):
        return Phrase.of(key_label(kind, text))
    if name == "choices" and (values := re.findall(r"'([^']*)'", text)):
        return Phrase.joined([Phrase.of(value_name(value)) for value in values], ", ")
    if name in ("topic", "kind") and (named := device_types().get(text)) is not None and named.label:
        return Phrase.of(named.label)
    return text
