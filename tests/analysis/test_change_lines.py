"""Which log lines read as a change someone or something made, and how they are quoted."""

from datetime import UTC, datetime

import pytest

from incidentdesk.analysis.logchanges import CHANGE_LINE, LogChange, operator_command

CHANGES = [
    "enactor-c: plan clean-up deleted 18 plans gen=48165..48182, released their record sets",
    "change batch 3ecb from dns-automation (enactor-c): DELETE api.internal A (36 records)",
    "dropped table orders_archive_2019 (1.2M rows)",
    "truncating partition events_2025_10 on shard 4",
    "config gen 48213 applied on tpe1 (push ps-5521 wave 1/4); previous gen 48212",
]
NOT_CHANGES = [
    "decision allow action=delete object=Contact record=00371G3ZL6V20HZ holder=profile:admin",
    "api: DELETE /v1/records/42 204 in 12ms",
    "checkpoint complete: wrote 83413 buffers (7.6%)",
]


@pytest.mark.parametrize("line", CHANGES)
def test_changes_are_change_lines(line):
    assert CHANGE_LINE.search(line)


@pytest.mark.parametrize("line", NOT_CHANGES)
def test_reads_and_decisions_are_not(line):
    assert not CHANGE_LINE.search(line)


@pytest.mark.parametrize(
    "line, program",
    [
        ("sudo:   ana : TTY=pts/4 ; PWD=/srv ; USER=root ; COMMAND=/bin/rm -rvf /var/lib/pg/data", "rm"),
        ("sudo: ana : TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx", "systemctl"),
        ("sudo: ana : TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/du -sh /var/lib/pg/data", None),
        ("sudo: ana : TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/ls -la", None),
    ],
)
def test_a_command_run_through_sudo_is_a_change_unless_it_only_reads(line, program):
    assert operator_command(line) == program


def test_a_sudo_command_is_quoted_as_who_ran_what_as_whom():
    line = "sudo:   ana : TTY=pts/4 ; PWD=/srv ; USER=postgres ; COMMAND=/usr/bin/pg_ctl promote -D /data"
    change = LogChange("db", line, line, datetime(2030, 1, 1, tzinfo=UTC), 1, ("E1",), False)
    assert change.quoted == "ana ran `/usr/bin/pg_ctl promote -D /data` as postgres"
