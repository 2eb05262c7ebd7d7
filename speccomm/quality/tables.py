"""The tables the data-quality runner writes (created if missing): its results in schema `dq`
(never emptied) and the scope it validates, `dq_checks.dq_check_scope` (emptied after each
group). dbt declares every one of them as a source with its columns (models/dq/_dq__sources.yml).

dbt builds other tables in the same schema (rejected_files, quarantined_rows,
dq_slam_submissions); dbt does not touch these, so their history survives every build.
"""

from __future__ import annotations

import duckdb

DDL = (
    "create schema if not exists dq",
    "create schema if not exists dq_checks",
    # The slices being validated now (source dq_runner.dq_check_scope): filled and emptied per group.
    """
    create table if not exists dq_checks.dq_check_scope (
        slice_no bigint,
        provider_code varchar,
        financial_year varchar,
        financial_month integer
    )
    """,
    # The contract's table: one row per check x dataset x provider x year x month per run.
    """
    create table if not exists dq.dq_check_results (
        run_id varchar not null,
        run_at timestamp not null,
        check_id varchar not null,
        dataset varchar not null,
        provider_code varchar not null,
        financial_year varchar not null,
        financial_month integer not null,
        severity varchar not null,
        rows_checked bigint not null,
        rows_failed bigint not null,
        status varchar not null
    )
    """,
    # Up to N failing records per check x slice x run, with context and the raw value as sent.
    """
    create table if not exists dq.dq_failed_samples (
        run_id varchar not null,
        run_at timestamp not null,
        check_id varchar not null,
        dataset varchar not null,
        provider_code varchar not null,
        financial_year varchar not null,
        financial_month integer not null,
        sample_no integer not null,
        source_file varchar,
        source_row bigint,
        record_ref varchar,
        service_line_code varchar,
        pod_code varchar,
        context varchar,
        raw_column varchar,
        raw_value varchar
    )
    """,
    # The fingerprint each current slice had when it was last validated.
    """
    create table if not exists dq.dq_slice_fingerprints (
        dataset varchar not null,
        provider_code varchar not null,
        financial_year varchar not null,
        financial_month integer not null,
        fingerprint varchar not null,
        validated_run_id varchar not null,
        validated_at timestamp not null,
        primary key (dataset, provider_code, financial_year, financial_month)
    )
    """,
    # Which run's results are current for each slice, as of each run (reports read this).
    """
    create table if not exists dq.dq_run_slices (
        run_id varchar not null,
        run_at timestamp not null,
        dataset varchar not null,
        provider_code varchar not null,
        financial_year varchar not null,
        financial_month integer not null,
        validated_run_id varchar not null,
        was_validated boolean not null
    )
    """,
    """
    create table if not exists dq.dqmi_scores (
        run_id varchar not null,
        run_at timestamp not null,
        dataset varchar not null,
        provider_code varchar not null,
        financial_year varchar not null,
        financial_month integer not null,
        period_start_date date not null,
        records bigint not null,
        coverage double not null,
        completeness double not null,
        validity double not null,
        excess_defaults double not null,
        mean_item_score double not null,
        item_scores varchar not null,
        dqmi double not null,
        peer_median_dqmi double not null,
        peer_count integer not null
    )
    """,
    """
    create table if not exists dq.dqmi_item_scores (
        run_id varchar not null,
        dataset varchar not null,
        provider_code varchar not null,
        financial_year varchar not null,
        financial_month integer not null,
        data_item varchar not null,
        records bigint not null,
        incomplete_rate double not null,
        invalid_rate double not null,
        default_rate double not null,
        default_threshold double not null,
        excess_default_rate double not null,
        item_score double not null
    )
    """,
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)
