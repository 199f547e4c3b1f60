"""Co-consulting trios: members opt in, groups are formed every few weeks with no pair
repeated while that is possible (checked against an exhaustive search), nobody is left
alone, each group is introduced privately with a guide, asked later whether they met, and
keepers see only counts. Members can leave at any time."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import Session, select

from bot.domain.trios import form_groups, group_sizes, pairs_of, record
from bot.storage.tables_meetings import TrioGroup, TrioOptIn, TrioSeat


def _exists_without_repeat(people, sizes, met) -> bool:
    """Exhaustive: is there any grouping of `people` into `sizes` with no pair in `met`?
    (An independent oracle: the lowest-numbered person left picks companions.)"""

    def fits(group):
        return all(frozenset(p) not in met for p in pairs_of(group))

    def search(left, sizes_left):
        if not left:
            return True
        first, rest = left[0], left[1:]
        for size in sorted(set(sizes_left)):
            remaining = list(sizes_left)
            remaining.remove(size)
            if companions(rest, 0, [first], size, remaining):
                return True
        return False

    def companions(rest, start, chosen, size, remaining):
        if len(chosen) == size:
            return search([p for p in rest if p not in chosen], remaining)
        for index in range(start, len(rest)):
            trial = [*chosen, rest[index]]
            if fits(trial) and companions(rest, index + 1, trial, size, remaining):
                return True
        return False

    return search(sorted(people), list(sizes))


def test_group_sizes_are_even_and_nobody_is_alone():
    assert group_sizes(20, 3) == [4, 4, 3, 3, 3, 3]
    assert group_sizes(9, 3) == [3, 3, 3]
    assert group_sizes(7, 3) == [4, 3]
    assert group_sizes(5, 3) == [3, 2]
    assert group_sizes(4, 3) == [4]
    assert group_sizes(2, 3) == [2]
    assert group_sizes(1, 3) == []
    for count in range(2, 60):
        for size in range(2, 7):
            sizes = group_sizes(count, size)
            assert sum(sizes) == count and min(sizes) >= 2 and max(sizes) - min(sizes) <= 1


def test_twelve_rounds_of_twenty_repeat_a_pair_only_when_it_is_unavoidable():
    people = list(range(1, 21))
    met: dict = {}
    for round_number in range(1, 13):
        groups = form_groups(people, 3, met, seed=round_number)
        assert sorted(p for g in groups for p in g) == people  # everyone, once
        assert min(len(g) for g in groups) >= 2  # nobody alone
        repeats = sum(1 for g in groups for pair in pairs_of(g) if pair in met)
        if repeats:
            assert not _exists_without_repeat(people, group_sizes(20, 3), met), round_number
        else:
            assert round_number <= 8  # 190 pairs, 24 a round: a repeat must come by round 8
        record(met, groups, round_number)
    # Once repeats come, they are spread: no pair has met more than twice in 12 rounds.
    assert max(times for times, _ in met.values()) <= 2
    assert len(met) == 190  # everyone has met everyone


def test_nine_people_meet_everyone_once_in_four_rounds():
    """Nine people in trios can meet each other exactly once in four rounds: they do."""
    met: dict = {}
    for round_number in range(1, 5):
        groups = form_groups(list(range(9)), 3, met, seed=round_number)
        assert all(pair not in met for g in groups for pair in pairs_of(g))
        record(met, groups, round_number)
    assert len(met) == 36


async def test_a_round_opt_in_introductions_check_and_counts(make_app, clock, platform, person):
    app = make_app()
    cora, kit = person(app, "Cora"), person(app, "Kit")
    members = [person(app, n) for n in ("Ana", "Ben", "Dee", "Eve", "Fay", "Gus", "Hal")]
    assert "Only conveners" in members[0].says("trios start")
    assert "started" in cora.says("trios start size 3 every 4 weeks")
    assert "already running" in cora.says("trios start")
    await app.dispatcher.drain()
    [invite] = platform.titled("Co-consulting trios: would you like to join?")
    join = invite.message.buttons[0]
    for member in members:
        assert "You're in" in member.press(join.action, join.value).message.as_text()
    assert "already in" in members[0].says("trios join")
    assert "left" in members[-1].says("trios leave")  # Hal changes his mind

    # The first round is formed by itself when the opt-in window ends: 6 people, 2 trios.
    await app.advance(clock.now() + timedelta(days=3, minutes=1))
    intros = [d for d in platform.dms() if d.message.title == "Your co-consulting trio this round"]
    assert sorted(d.target for d in intros) == ["ana", "ben", "dee", "eve", "fay", "gus"]
    assert all(len(d.message.sections[0].items) == 2 for d in intros)
    assert "brings a challenge" in intros[0].text
    assert "hal" not in {d.target for d in platform.dms()}
    with Session(app.engine) as session:
        groups = session.exec(select(TrioGroup)).all()
    assert len(groups) == 2
    mine = members[0].says("trios")
    assert "Your trio" in mine
    digest = kit.says("digest this-week")
    assert "Co-consulting groups\n2 groups formed; 0 said they met" in digest

    # Two weeks later each is asked whether they met; answers go to keepers only as counts.
    await app.advance(clock.now() + timedelta(days=14, minutes=1))
    checks = [d for d in platform.dms() if d.message.title == "Did your co-consulting group meet?"]
    assert len(checks) == 6
    for check in checks:
        if check.target in ("ana", "ben", "dee"):
            yes = check.message.buttons[0]
            actor = next(m for m in members if m.actor.user_id == check.target)
            actor.press(yes.action, yes.value)
    with Session(app.engine) as session:
        met = {s.group_id for s in session.exec(select(TrioSeat)).all() if s.met == "yes"}
    counts = kit.says("trios")
    assert f"2 trios formed; {len(met)} said they met" in counts
    for name in ("Ana", "Ben", "Dee", "Eve", "Fay", "Gus"):
        assert name not in counts


async def test_one_person_alone_is_told_kindly_and_bad_input_changes_nothing(
    make_app, clock, platform, person
):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    assert "No co-consulting groups are running" in ana.says("trios join")
    assert "Usage" in cora.says("trios start sometimes")
    assert "size is a number from 2 to 6" in cora.says("trios start size 40")
    assert "every 1 to 13 weeks" in cora.says("trios start every 52 weeks")
    assert "Usage" in ana.says("trios dance")
    with Session(app.engine) as session:
        assert session.exec(select(TrioOptIn)).all() == []
    cora.cop("trios start")
    ana.cop("trios join")
    assert "Not enough people" in cora.says("trios now")
    await app.dispatcher.drain()
    assert any("Only you joined" in d.text for d in platform.dms("ana"))
    assert "out of date" in ana.press("trios.met", "x:yes").message.as_text()
    assert "isn't one of your groups" in ana.press("trios.met", "99:yes").message.as_text()
    assert "stopped" in cora.says("trios stop")
    assert "No co-consulting groups are running" in ana.says("trios")


async def test_leaving_takes_a_member_out_of_later_rounds(make_app, clock, person):
    app = make_app()
    cora = person(app, "Cora")
    people = [person(app, n) for n in ("Ana", "Ben", "Dee", "Eve")]
    cora.cop("trios start size 2 every 2 weeks")
    for p in people:
        p.cop("trios join")
    cora.cop("trios now")
    people[0].cop("trios leave")
    cora.cop("trios now")
    with Session(app.engine) as session:
        rounds = Counter(g.round_number for g in session.exec(select(TrioGroup)).all())
        seats = session.exec(
            select(TrioSeat, TrioGroup).join(TrioGroup, TrioGroup.id == TrioSeat.group_id)
        ).all()
    assert rounds == Counter({1: 2, 2: 1})
    second = {seat.member_id for seat, group in seats if group.round_number == 2}
    assert len(second) == 3  # Ben, Dee and Eve: one group of 3, nobody alone
