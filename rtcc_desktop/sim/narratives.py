"""Call types and the dispatcher shorthand that CAD narratives are written in.

Narratives are free text from a feed, so some carry ``&``, ``<``, ``$`` and
quotes: the app must escape them before they reach HTML.
"""

from __future__ import annotations

import random

#: (call type, weight, priorities to pick from)
CALL_TYPES: tuple[tuple[str, int, tuple[int, ...]], ...] = (
    ("TRAFFIC STOP", 20, (3, 4)),
    ("SUSPICIOUS VEHICLE", 10, (3,)),
    ("SUSPICIOUS PERSON", 8, (2, 3)),
    ("ALARM", 8, (3,)),
    ("MVA NO INJURIES", 7, (3,)),
    ("THEFT", 7, (3,)),
    ("DOMESTIC", 7, (1, 2)),
    ("WELFARE CHECK", 6, (3,)),
    ("DISTURBANCE", 6, (2,)),
    ("BURGLARY", 5, (2,)),
    ("RECKLESS DRIVER", 4, (2,)),
    ("SHOPLIFTING", 4, (3,)),
    ("NOISE COMPLAINT", 3, (4,)),
    ("MVA WITH INJURIES", 2, (1,)),
    ("ASSAULT", 2, (1, 2)),
    ("SHOTS FIRED", 1, (1,)),
)

COLOURS = ("BLK", "WHI", "SIL", "GRY", "RED", "BLU", "GRN", "TAN", "MAROON", "GLD")
VEHICLES = (
    "FORD F150", "CHEV SILVERADO", "TOYOTA CAMRY", "HONDA ACCORD", "NISSAN ALTIMA",
    "DODGE CHARGER", "CHEV MALIBU", "JEEP CHEROKEE", "GMC SIERRA", "HYUNDAI ELANTRA",
    "KIA OPTIMA", "FORD EXPLORER", "TOYOTA TACOMA", "HONDA CIVIC", "CHRYSLER 300",
)
PEOPLE = ("W/M", "B/M", "W/F", "B/F", "H/M", "H/F")
AGES = ("TEENS", "20S", "30S", "40S", "50S", "60S")
CLOTHES = (
    "RED HOODIE", "BLK HOODIE", "GRY SWEATSHIRT", "WHI T-SHIRT & JEANS", "CAMO JACKET",
    "BLU JEANS NO SHIRT", "ORANGE VEST", "BLK JACKET & BLK PANTS", "GRN BALL CAP",
)
DIRECTIONS = ("NB", "SB", "EB", "WB")
REASONS = (
    "SPEEDING 58/40", "NO TAG LIGHT", "RAN RED LIGHT", "FAILURE TO MAINTAIN LANE",
    "EXPIRED TAG", "HEADLIGHT OUT", "NO SEATBELT", "SPEEDING 71/55", "IMPROPER LANE CHANGE",
)

FOLLOW_UPS = (
    "UNIT ON SCENE",
    "SUSPECT GOA",
    "1 IN CUSTODY",
    "R/P ADV SUSPECT RETURNED",
    "REPORT TO FOLLOW",
    "EMS REQUESTED",
    "AREA CHECKED, UTL",
    "ADDL CALLER SAME INCIDENT",
    "K9 REQUESTED",
    "WEAPON SEEN - UPGRADED",
)


def vehicle(rng: random.Random) -> str:
    return f"{rng.choice(COLOURS)} {rng.choice(VEHICLES)}"


def person(rng: random.Random) -> str:
    return f"{rng.choice(PEOPLE)} {rng.choice(AGES)} {rng.choice(CLOTHES)}"


def narrative(call_type: str, rng: random.Random, plate: str, street: str, cross: str) -> str:
    """One believable opening narrative for a call of ``call_type``."""
    v, p, d = vehicle(rng), person(rng), rng.choice(DIRECTIONS)
    n_occ, n_subj, n_shots = rng.randint(1, 4), rng.randint(3, 8), rng.randint(2, 8)
    options: dict[str, tuple[str, ...]] = {
        "TRAFFIC STOP": (
            f"TS {v} TAG {plate}, {rng.choice(REASONS)}",
            f"TS {v} TAG {plate} AT {cross}, OCC x{n_occ}",
        ),
        "SUSPICIOUS VEHICLE": (
            f"{v} PARKED W/ LIGHTS OFF, OCC x{n_occ}, BEEN THERE {rng.choice((20, 30, 45, 60))} MIN",
            f"{v} CIRCLING THE BLOCK SLOWLY, TAG PARTIAL {plate[:3]}",
        ),
        "SUSPICIOUS PERSON": (
            f"{p} CHECKING CAR DOOR HANDLES IN LOT",
            f"{p} LOOKING IN WINDOWS, LAST SEEN {d} ON {street}",
        ),
        "ALARM": (
            "AUDIBLE ALARM, FRONT DOOR ZONE, KEYHOLDER EN ROUTE",
            "PANIC ALARM, NO ANSWER ON CALLBACK",
            "MOTION ZONE 4 REAR STOCKROOM",
        ),
        "MVA NO INJURIES": (
            f"2 VEH MVA, {v} VS {vehicle(rng)}, BLOCKING {d} LANE",
            f"MINOR MVA AT {cross}, NO INJ, TOW NEEDED",
        ),
        "THEFT": (
            f"R/P ADV CATALYTIC CONVERTER CUT FROM {v} OVERNIGHT",
            "PACKAGE STOLEN FROM PORCH, R/P HAS DOORBELL VIDEO",
            f"TOOLS TAKEN FROM TRUCK BED, {v}",
        ),
        "DOMESTIC": (
            f"R/P ADV BF/GF ARGUING, GETTING PHYSICAL. {p} LEFT ON FOOT {d}",
            "CALLER SCREAMING THEN LINE DISCONNECTED, CALLBACK NO ANSWER",
            "FEMALE STATES HUSBAND THREW HER PHONE & WON'T LET HER LEAVE",
        ),
        "WELFARE CHECK": (
            "R/P REQ CHECK ON ELDERLY MOTHER, NO ANSWER SINCE YESTERDAY",
            f"{p} LYING IN GRASS NEAR ROADWAY, UNK IF BREATHING",
        ),
        "DISTURBANCE": (
            f"LOUD ARGUMENT IN PARKING LOT, APPROX {n_subj} SUBJECTS",
            f"{p} YELLING AT CUSTOMERS, REFUSING TO LEAVE",
        ),
        "BURGLARY": (
            "R/P RETURNED HOME, BACK DOOR KICKED IN, TV & GUNS MISSING",
            f"B&E IN PROGRESS, {p} CLIMBING THROUGH WINDOW",
            "STORAGE UNIT LOCK CUT, R/P UNSURE WHAT IS MISSING",
        ),
        "RECKLESS DRIVER": (
            f"{v} ALL OVER THE ROADWAY {d} ON {street}",
            f"{v} PASSING ON SHOULDER, TAG {plate}",
        ),
        "SHOPLIFTING": (
            f"LP HAS {p} DETAINED, <$500 MERCH",
            f"{p} LEFT W/ CART OF MERCH IN {v}, {d}",
        ),
        "NOISE COMPLAINT": (
            'LOUD MUSIC FROM "THE BACKYARD" PARTY',
            "DOGS BARKING FOR 2 HRS",
            "FIREWORKS IN THE STREET",
        ),
        "MVA WITH INJURIES": (
            f"MVA AT {cross}, 1 PT TRAPPED, EMS & FIRE ENRT",
            f"{v} INTO POLE, DRIVER UNRESPONSIVE",
        ),
        "ASSAULT": (
            f"R/P ADV WAS STRUCK BY {p}, SUSPECT LEFT IN {v} {d}",
            "2 MALES FIGHTING IN FRONT OF BUSINESS, 1 BLEEDING",
        ),
        "SHOTS FIRED": (
            f"R/P ADV HEARD {n_shots} SHOTS, UNK DIRECTION",
            f"SHOTS FIRED FROM A {v} HEADED {d} ON {street}",
        ),
    }
    return rng.choice(options.get(call_type, ("NO NARRATIVE",)))
