"""The band's pattern and idiom library: drums, bass and comping for nine styles.

No offline corpus of drum grooves, bass lines or comping ships with our dependencies, so
these parts are not learned: each style is written out by hand as one-beat *slices*, the
way a drummer or bassist thinks of a groove, and the band varies them stochastically
(optional hits, alternative slices, fills, humanized timing and velocity; see
:mod:`bandmate.assist.band.grid`). ``docs/models/drums.md`` and ``bass.md`` say so plainly.

A slice is a string, one character a step, spread evenly over one beat group: four steps
are sixteenths of a simple beat, three are triplet eighths (swing), six are sixteenths of a
compound (dotted) beat. A bar is a sequence of beat groups with roles: the downbeat
(``down``), backbeats (``back``) and the other beats (``off``); 4/4 plays down, back, off,
back; 3/4 down, back, back; 6/8 and 12/8 are compound beats; 5/8 and 7/8 are groups of
two and three eighths (see :func:`bandmate.assist.band.grid.beat_groups`).

Drum characters: ``x`` accent, ``o`` hit, ``g`` ghost note, ``p`` a hit that is played
about a third of the time (more at higher temperature), ``.`` nothing.
Bass characters: ``R`` root (the slash bass of a slash chord), ``F`` fifth, ``O`` octave,
``T`` third, ``S`` another chord tone, ``A`` an approach note to the next chord's root,
``-`` hold, ``.`` rest. Comping: ``x`` accented chord, ``o`` chord, ``p`` maybe, ``-`` hold,
``.`` rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["down", "back", "off"]
Kind = Literal["simple", "compound"]
Slices = dict[Role, str]

KICK, SIDE, SNARE, CLAP, HAT, PEDAL, OPEN, CRASH, RIDE = 36, 37, 38, 39, 42, 44, 46, 49, 51
SHAKER, TAMBOURINE, LOW_TOM, MID_TOM, HIGH_TOM, FLOOR_TOM = 82, 54, 45, 47, 50, 41


@dataclass(frozen=True, slots=True)
class Groove:
    """One drum groove: per voice (GM drum key), slices for simple and compound beats."""

    simple: dict[int, Slices]
    compound: dict[int, Slices]


@dataclass(frozen=True, slots=True)
class Style:
    """A style of the band.

    Attributes:
        name: The style's name (``"bossa"``).
        grooves: Drum grooves; the band moves between them every few bars.
        bass: Bass slices for simple and compound beats.
        comp: Comping slices for simple and compound beats.
        swing: Where the second sixteenth of each eighth falls, as a share of the eighth
            (0.5 straight, 0.6 lazy hip hop swing).
        humanize_ms: Standard deviation of the timing offsets in milliseconds.
        velocity_spread: Standard deviation of the velocity offsets.
        staccato: The share of each bass and comping step that sounds before the next.
        approach: How often a bass fifth or chord tone right before a chord change
            becomes an approach note to the new root (0..1, scaled by temperature).
        programs: GM programs of comping, bass and the drum kit.
        comp_range: Lowest and highest MIDI pitch of the comping voicings.
        fill_voices: Drums that fills run over, high to low.
    """

    name: str
    grooves: tuple[Groove, ...]
    bass: dict[Kind, Slices]
    comp: dict[Kind, Slices]
    swing: float = 0.5
    humanize_ms: float = 8.0
    velocity_spread: float = 6.0
    staccato: float = 0.92
    approach: float = 0.25
    programs: tuple[int, int, int] = (0, 33, 0)
    comp_range: tuple[int, int] = (52, 76)
    fill_voices: tuple[int, ...] = field(default=(HIGH_TOM, MID_TOM, LOW_TOM, FLOOR_TOM))


def _g(**voices: tuple[Slices, Slices]) -> Groove:
    """A groove from ``voice=(simple slices, compound slices)`` keyword arguments."""
    names = {"kick": KICK, "snare": SNARE, "side": SIDE, "clap": CLAP, "hat": HAT,
             "pedal": PEDAL, "open": OPEN, "ride": RIDE, "shaker": SHAKER,
             "tambourine": TAMBOURINE}  # fmt: skip
    return Groove(
        simple={names[v]: s for v, (s, _) in voices.items() if s},
        compound={names[v]: c for v, (_, c) in voices.items() if c},
    )


def _s(down: str, back: str, off: str) -> Slices:
    return {"down": down, "back": back, "off": off}


NONE = _s("", "", "")

STYLES_LIBRARY: dict[str, Style] = {
    "rock": Style(
        "rock",
        grooves=(
            _g(
                kick=(_s("x...", "....", "x.p."), _s("x.....", "......", "x..p..")),
                snare=(_s("....", "x...", "...."), _s("......", "x.....", "......")),
                hat=(_s("x.o.", "x.o.", "x.o."), _s("x.o.o.", "x.o.o.", "x.o.o.")),
            ),
            _g(
                kick=(_s("x...", "..p.", "x.x."), _s("x.....", "....p.", "x..x..")),
                snare=(_s("....", "x...", "...."), _s("......", "x.....", "......")),
                hat=(_s("x.o.", "x.o.", "x.o."), _s("x.o.o.", "x.o.o.", "x.o.o.")),
            ),
        ),
        bass={"simple": _s("R.R.", "R.R.", "R.R."), "compound": _s("R..R..", "R..R..", "R..R..")},
        comp={"simple": _s("x-o-", "o-o-", "x-o-"), "compound": _s("x-----", "o-----", "x-----")},
        humanize_ms=7.0,
        staccato=0.85,
        programs=(29, 34, 0),
        comp_range=(50, 67),
    ),
    "pop": Style(
        "pop",
        grooves=(
            _g(
                kick=(_s("x...", "....", "x.p."), _s("x.....", "......", "x.....")),
                snare=(_s("....", "x...", "...."), _s("......", "x.....", "......")),
                hat=(_s("x.o.", "o.o.", "x.o."), _s("x.o.o.", "o.o.o.", "x.o.o.")),
            ),
            _g(
                kick=(_s("x..p", "..x.", "x..."), _s("x....p", "......", "x.....")),
                snare=(_s("....", "x...", "...."), _s("......", "x.....", "......")),
                hat=(_s("xooo", "xooo", "xooo"), _s("xooooo", "xooooo", "xooooo")),
            ),
        ),
        bass={"simple": _s("R--R", "--R.", "F--R"), "compound": _s("R-----", "R--F--", "R-----")},
        comp={"simple": _s("x---", "--o-", "o---"), "compound": _s("x--o--", "o--o--", "x--o--")},
        programs=(0, 33, 0),
    ),
    "funk": Style(
        "funk",
        grooves=(
            _g(
                kick=(_s("x..x", "....", "x.x."), _s("x..x..", "......", "x..p..")),
                snare=(_s("...g", "x..g", ".g.."), _s("....g.", "x...g.", "..g...")),
                hat=(_s("xooo", "xooo", "xooo"), _s("xooooo", "xooooo", "xooooo")),
            ),
            _g(
                kick=(_s("x.p.", "..x.", ".x.p"), _s("x.p...", "..x...", ".x.p..")),
                snare=(_s(".g..", "x..g", "g..g"), _s(".g....", "x..g..", "g..g..")),
                hat=(_s("xoxo", "xooo", "xoxo"), _s("xooooo", "xooooo", "xooooo")),
            ),
        ),
        bass={"simple": _s("R..O", ".R.F", "R.OR"), "compound": _s("R..O..", ".R.F..", "R.OR..")},
        comp={"simple": _s("x..o", ".o..", "o..o"), "compound": _s("x..o..", ".o..o.", "o..o..")},
        humanize_ms=5.0,
        staccato=0.45,
        programs=(4, 36, 0),
        comp_range=(55, 76),
    ),
    "hiphop": Style(
        "hiphop",
        grooves=(
            _g(
                kick=(_s("x...", "..p.", "xx.."), _s("x.....", "....p.", "x.x...")),
                snare=(_s("....", "x...", "...."), _s("......", "x.....", "......")),
                hat=(_s("x.o.", "x.o.", "x.op"), _s("x.o.o.", "x.o.o.", "x.o.op")),
            ),
            _g(
                kick=(_s("x..x", "....", "..x."), _s("x..x..", "......", "..x...")),
                snare=(_s("....", "x..g", "...."), _s("......", "x...g.", "......")),
                hat=(_s("x.o.", "x.o.", "x.o."), _s("x.o.o.", "x.o.o.", "x.o.o.")),
            ),
        ),
        bass={"simple": _s("R---", "..R.", "--F."), "compound": _s("R-----", "...R..", "F-----")},
        comp={"simple": _s("x---", "----", "--o-"), "compound": _s("x-----", "------", "o-----")},
        swing=0.6,
        humanize_ms=10.0,
        programs=(4, 38, 0),
    ),
    "swing": Style(
        "swing",
        grooves=(
            _g(
                ride=(_s("x..", "x.o", "x.."), _s("x..", "x.o", "x..")),
                pedal=(_s("...", "o..", "..."), _s("...", "o..", "...")),
                kick=(_s("g..", "g..", "g.."), _s("g..", "...", "g..")),
                snare=(_s("...", "..p", ".p."), _s("...", "..p", ".p.")),
            ),
            _g(
                ride=(_s("x..", "x.o", "x.."), _s("x..", "x.o", "x..")),
                pedal=(_s("...", "o..", "..."), _s("...", "o..", "...")),
                kick=(_s("g..", "...", "g.."), _s("g..", "...", "...")),
                snare=(_s("..p", "...", "..g"), _s("..p", "...", "..g")),
            ),
        ),
        bass={"simple": _s("R--", "S--", "T--"), "compound": _s("R--", "S--", "T--")},
        comp={"simple": _s("x--", "..o", "..."), "compound": _s("x--", "..o", "...")},
        humanize_ms=9.0,
        velocity_spread=8.0,
        staccato=0.95,
        approach=0.85,
        programs=(0, 32, 32),
        comp_range=(52, 72),
        fill_voices=(SNARE, SNARE, MID_TOM, FLOOR_TOM),
    ),
    "bossa": Style(
        "bossa",
        grooves=(
            _g(
                kick=(_s("x..x", "x..x", "x..x"), _s("x..x..", "x..x..", "x..x..")),
                side=(_s("x..x", "..x.", "..x."), _s("x..x..", "..x...", "..x...")),
                hat=(_s("o.o.", "o.o.", "o.o."), _s("o.o.o.", "o.o.o.", "o.o.o.")),
            ),
            _g(
                kick=(_s("x..x", "x..x", "x..x"), _s("x..x..", "x..x..", "x..x..")),
                side=(_s("..x.", ".x..", "x..."), _s("..x...", ".x....", "x.....")),
                shaker=(_s("xooo", "xooo", "xooo"), _s("xooooo", "xooooo", "xooooo")),
            ),
        ),
        bass={"simple": _s("R---", "--F-", "F---"), "compound": _s("R-----", "--F---", "F-----")},
        comp={"simple": _s("x.o.", ".o.o", ".o.o"), "compound": _s("x..o..", ".o..o.", ".o..o.")},
        humanize_ms=6.0,
        staccato=0.8,
        programs=(24, 32, 40),
        comp_range=(52, 71),
    ),
    "reggae": Style(
        "reggae",
        grooves=(
            _g(
                kick=(_s("....", "....", "x..."), _s("......", "......", "x.....")),
                side=(_s("....", "....", "x..."), _s("......", "......", "x.....")),
                hat=(_s("..o.", "..o.", "..o."), _s("..o..o", "..o..o", "..o..o")),
            ),
            _g(
                kick=(_s("....", "....", "x..."), _s("......", "......", "x.....")),
                side=(_s("....", "....", "x..."), _s("......", "......", "x.....")),
                hat=(_s("o.o.", "o.oo", "o.o."), _s("o.oo.o", "o.oo.o", "o.oo.o")),
            ),
        ),
        bass={"simple": _s("R-.R", "..F.", "R-.T"), "compound": _s("R--.R.", "...F..", "R--.T.")},
        comp={"simple": _s("....", "x...", "...."), "compound": _s("......", "x.....", "......")},
        humanize_ms=8.0,
        staccato=0.35,
        programs=(27, 33, 0),
        comp_range=(57, 76),
    ),
    "electronic": Style(
        "electronic",
        grooves=(
            _g(
                kick=(_s("x...", "x...", "x..."), _s("x..x..", "x..x..", "x..x..")),
                clap=(_s("....", "x...", "...."), _s("......", "x.....", "......")),
                open=(_s("..o.", "..o.", "..o."), _s("...o..", "...o..", "...o..")),
                hat=(_s("g.g.", "g.gg", "g.g."), _s("g.g.g.", "g.g.g.", "g.g.g.")),
            ),
            _g(
                kick=(_s("x...", "x...", "x..."), _s("x..x..", "x..x..", "x..x..")),
                clap=(_s("....", "x...", "...."), _s("......", "x.....", "......")),
                open=(_s("..o.", "..o.", "..o."), _s("...o..", "...o..", "...o..")),
                hat=(_s("gggg", "gggg", "gggg"), _s("gggggg", "gggggg", "gggggg")),
            ),
        ),
        bass={"simple": _s("..R.", "..R.", "..O."), "compound": _s("...R..", "...R..", "...O..")},
        comp={"simple": _s("x---", "----", "----"), "compound": _s("x-----", "------", "------")},
        humanize_ms=0.0,
        velocity_spread=3.0,
        approach=0.0,
        staccato=0.7,
        programs=(89, 38, 25),
        comp_range=(55, 76),
    ),
    "folk": Style(
        "folk",
        grooves=(
            _g(
                kick=(_s("x...", "....", "o..."), _s("x.....", "......", "o.....")),
                side=(_s("....", "o...", "...."), _s("......", "o.....", "......")),
                shaker=(_s("o.o.", "o.o.", "o.o."), _s("o.oo.o", "o.oo.o", "o.oo.o")),
            ),
            _g(
                kick=(_s("x...", "....", "o..."), _s("x.....", "......", "o.....")),
                tambourine=(_s("....", "o...", "...."), _s("......", "o.....", "......")),
                shaker=(_s("o.o.", "o.o.", "o.o."), _s("o.oo.o", "o.oo.o", "o.oo.o")),
            ),
        ),
        bass={"simple": _s("R---", "....", "F---"), "compound": _s("R-----", "F-----", "R-----")},
        comp={"simple": _s("x-o-", "o-o-", "x-o-"), "compound": _s("x-oo-o", "o-oo-o", "x-oo-o")},
        humanize_ms=10.0,
        staccato=0.9,
        programs=(25, 32, 40),
        comp_range=(52, 71),
    ),
}

STYLES: tuple[str, ...] = tuple(STYLES_LIBRARY)
"""The band's styles: rock, pop, funk, hip hop, jazz swing, bossa nova, reggae, electronic, folk."""
ALIASES: dict[str, str] = {
    "hip hop": "hiphop", "hip-hop": "hiphop", "jazz": "swing", "jazz swing": "swing",
    "bossa nova": "bossa", "edm": "electronic", "house": "electronic",
}  # fmt: skip
