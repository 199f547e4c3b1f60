"""A labelled corpus for the patient-identifiable text guard (bot.domain.identifiers).

Each example is a piece of text a member might post, labelled with the kinds of identifier
it contains (an empty set: none). Valid NHS numbers are computed here with the modulus-11
algorithm; look-alikes are valid numbers with their check digit broken, phone numbers,
dates, references and postcodes without a name. The labelling policy:

- nhs_number: ten digits passing the modulus-11 check, however grouped, unless the text says
  it is something else (an ISBN, an order, invoice, tracking or booking number).
- date_of_birth: a whole date (day, month, year) that is someone's birth date: labelled as one
  ("DOB", "born", "birthday"), or written beside a person (a name, "Mrs K", "patient", "lady")
  and at least 10 years old. Not: historic events, laws, meetings, visits, deadlines.
- postcode: a full UK postcode beside a person (a name, title, "she", "patient", "client") or
  a home address; not an organisation's or a place's postcode.
- phone: a phone number, UK or international; not short codes, extensions or bleeps.
- email: an email address, including "name at example dot com".

examples() is the part the rules were tuned on; tests/data/identifier_held_out.py is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: The date the corpus is judged on (bare dates at least 10 years old count as birth dates).
TODAY = date(2026, 11, 22)


@dataclass(frozen=True)
class Example:
    text: str
    kinds: frozenset[str]

    @property
    def positive(self) -> bool:
        return bool(self.kinds)


def check_digit(first_nine: str) -> int | None:
    """The NHS modulus-11 check digit (weights 10..2), None if no valid number exists."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else (None if check == 10 else check)


def valid_nhs_numbers(count: int, start: int = 400_000_000, step: int = 7_919_113) -> list[str]:
    """`count` valid NHS numbers, spread through the issued ranges (deterministic)."""
    numbers: list[str] = []
    prefix = start
    while len(numbers) < count:
        nine = f"{prefix:09d}"
        check = check_digit(nine)
        if check is not None:
            numbers.append(nine + str(check))
        prefix += step
        if prefix > 799_999_999:
            prefix = start + (prefix % 1_000)
    return numbers


def broken(number: str) -> str:
    """The same number with a wrong check digit (every other digit wrong is also invalid)."""
    first_nine, last = number[:9], int(number[9])
    for candidate in range(10):
        if candidate != last:
            return first_nine + str(candidate)
    raise AssertionError("unreachable")


def spaced(number: str, sep: str = " ") -> str:
    return f"{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}"


def grouped(number: str, sizes: tuple[int, ...], sep: str = " ") -> str:
    """`number` split into groups of `sizes` digits: grouped("9434765919", (4, 3, 3))."""
    assert sum(sizes) == len(number)
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    return sep.join(parts)


def examples() -> list[Example]:
    """The tuning corpus (the held-out part is in identifier_held_out.py)."""
    nhs = valid_nhs_numbers(20)
    x: list[tuple[str, set[str]]] = []
    n = {"nhs_number"}

    # ---- NHS numbers (valid), in every way people write them ----
    x += [
        (f"Mrs K's NHS number is {spaced(nhs[0])}, can someone check her referral?", n),
        (f"NHS no: {nhs[1]}", n),
        (f"Patient {spaced(nhs[2], '-')} was discharged without a plan", n),
        (f"{nhs[3]} keeps getting bounced between teams", n),
        (f"ref {spaced(nhs[4])} — the wound has healed!", n),
        (f"Could the hub look up {nhs[5]} please", n),
        (f"NHS number {spaced(nhs[6])} (her daughter asked me to chase it)", n),
        (f"Referral for {spaced(nhs[7], '-')} came back rejected again.", n),
        (f"nhs#{nhs[8]}", n),
        (f"We finally got {spaced(nhs[9])} a home visit.", n),
        (f"Two patients ({nhs[10]} and {nhs[11]}) missed their dressing change", n),
        (f"Chasing {spaced(nhs[12])}.", n),
        (f"The man with number {nhs[13]} needs a review", n),
        (f"{spaced(nhs[14], '-')}", n),
        (f"Pls can someone ring about {spaced(nhs[15])} today", n),
        (f"His NHS No. is {nhs[16]}, born 02/07/1951", {"nhs_number", "date_of_birth"}),
        (f"Case {nhs[17]}: great outcome with the new dressing", n),
        (f"Success: {spaced(nhs[18])} is walking again", n),
        (f"Learning from {nhs[19]} — check the pressure areas first", n),
    ]
    # ---- dates of birth ----
    d = {"date_of_birth"}
    x += [
        ("Lady I saw today, DOB 12/03/1948, really struggled with the stairs", d),
        ("d.o.b. 5/11/39 lives alone", d),
        ("Date of birth: 01-04-1962", d),
        ("He was born on 3 March 1957 and has never seen a podiatrist", d),
        ("Patient born 14th July 1990 in our area", d),
        ("DOB: 2019-06-30, the youngest we've had", d),
        ("Mr T (29/02/1944) finally accepted the referral", d),
        ("Birthday 17/09/1985, so she's only 41", d),
        ("A gentleman, 06.06.1936, still gardening every day", d),
        ("born March 8, 1971", d),
    ]
    # ---- postcodes next to a name or an address ----
    p = {"postcode"}
    x += [
        ("Mrs Patel at LS6 2QT needs her dressings changed daily", p),
        ("Visited John Smith, 14 Elm Road, LS1 4AB this morning", p),
        ("Ended up driving to Mr Evans in CF10 3NB twice", p),
        ("Can anyone cover Gwen Jones, SA1 8EN, on Thursday?", p),
        ("Amira lives at M14 5RT and can't get to the clinic", p),
        ("The address is 3 Rose Court, NE4 6BE", p),
        ("Dr Okafor's patient in BS5 0HE", p),
        ("Tom Reilly (sw1a 1aa) called again", p),
    ]
    # ---- phone numbers ----
    t = {"phone"}
    x += [
        ("Her daughter's mobile is 07700 900123 if you need it", t),
        ("Call 0161 496 0000 to rebook", t),
        ("text +44 7700 900456 for the rota", t),
        ("Ring (0113) 496 0999 after 2pm", t),
        ("Son's number: 07700900789", t),
        ("+44 (0)20 7946 0123 is the ward", t),
        ("ring 020-7946-0456", t),
        ("Try 01632 960 123 instead", t),
        ("mobile +447700900999", t),
        ("the carer is on 07 700 900 321", t),
    ]
    # ---- email addresses ----
    e = {"email"}
    x += [
        ("Email her at jane.doe@example.com", e),
        ("his wife is mary_b@example.org", e),
        ("Send it to a.n.other@nhs.net", e),
        ("contact: carer+rota@example.co.uk", e),
        ("patient.family@example.net asked for an update", e),
        (
            f"Sarah Lee, 07700 900111, sarah.lee@example.com, NHS {spaced(nhs[0])}",
            {"phone", "email", "nhs_number"},
        ),
    ]

    # ---- negatives: NHS look-alikes with a broken check digit ----
    x += [(f"Order number {broken(nhs[i])} arrived today", set()) for i in range(0, 6)]
    x += [(f"Ref {spaced(broken(nhs[i]))} for the dressing trial", set()) for i in range(6, 10)]
    x += [
        ("Invoice 1234567890 is paid", set()),  # fails the check
        ("Batch 000 000 0001 of the new foam dressings", set()),
        ("That's 123456789 pounds of savings, apparently", set()),  # nine digits
        ("Staff number 12345678901", set()),  # eleven digits
        ("Bleep 4021 if you need me", set()),
        ("ext. 4456", set()),
        ("Call NHS 111 for out-of-hours advice", set()),
        ("Our caseload went from 312 to 280", set()),
        ("ICD-10 code L89.1 is the one to use", set()),
        ("Version 2.3.1 of the app fixed it", set()),
    ]
    # ---- negatives: dates that are not birth dates ----
    x += [
        ("Next meeting is 03/12/2026 at 14:00", set()),
        ("Since 01/04/2025 we've used the new pathway", set()),
        ("Clinic moved to 2026-11-30", set()),
        ("The audit ran from 1 March 2024 to 30 June 2024", set()),
        ("We started in 2019 and never looked back", set()),
        ("Deadline: 15.01.2027", set()),
        ("See the policy dated 12/10/2023", set()),
        ("Half term is 16-20 February", set()),
        ("The 09:30-11:00 slot works best", set()),
        ("Our ratio is 1/3 of visits before noon", set()),
    ]
    # ---- negatives: postcodes without a name, and names without a postcode ----
    x += [
        ("the hub near LS1 4AB has parking", set()),
        ("our clinic is in m14 5rt, opposite the library", set()),
        ("Drop-in at SE1 7EH on Monday", set()),
        ("St Thomas Hospital, SE1 7EH, runs the same pathway", set()),
        ("Thanks Ana for the tip about foam dressings!", set()),
        ("Ben and Cora ran a brilliant session", set()),
        ("Use A4 paper for the pledge cards", set()),
        ("The M62 was closed so I was late", set()),
    ]
    # ---- negatives: everyday text ----
    x += [
        ("Fewer missed visits this month", set()),
        ("A third fewer pressure ulcers on the ward", set()),
        ("Discharge letters arrive late", set()),
        ("We tried the 5-day rota and it works", set()),
        ("2,000 leaflets went out", set()),
        ("1 in 10 referrals come back", set()),
        ("@here please read this", set()),
        ("Score went from 7.5 to 9.1", set()),
        ("Meet in room 3.14", set()),
        ("Our trust's phone line is down again", set()),
        ("Email the team if you want slides", set()),
        ("a@b is not an address", set()),
        ("Twitter handle @woundcare_uk", set()),
        ("I learned that 80% of people prefer mornings", set()),
        ("Tel. numbers go in the secure system, not here", set()),
        ("Born in the USA was playing in the waiting room", set()),
        # Known limits (kept, so the figures stay honest): a booking reference that happens
        # to pass the NHS check, an organisation's postcode next to a place name, an old
        # date that is not a birthday.
        (f"Booking reference {valid_nhs_numbers(21)[20]}", set()),
        ("Come to the Leeds office, LS1 4AB, for the workshop", set()),
        ("The NHS was founded on 05/07/1948", set()),
    ]
    from tests.data.identifier_more import more_examples

    x += [(text, set(kinds)) for text, kinds in more_examples()]
    return [Example(text, frozenset(kinds)) for text, kinds in x]
