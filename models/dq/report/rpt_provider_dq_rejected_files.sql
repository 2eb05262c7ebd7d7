{#- What a provider's data-quality email says about its own SLAM files that were not loaded:
    the rejected file, the problem in plain words and how to fix it. A rejected file belongs
    to the provider whose code starts its name (the part before the first character that is
    not a letter or digit, resolved as every provider code is: a site code to its trust); a
    name that starts with no provider's code is the BI team's to chase (the run summary lists
    every rejection). The wording follows the loader's reasons (speccomm/load: the file name's
    pattern, a missing or repeated column, a file that cannot be read as CSV, a file that was
    still changing); a reason not recognised gets the general advice. -#}
with

rejected_files as (
    select
        file_name,
        reason,
        seen_at
    from {{ ref('stg_landing__rejected_files') }}
    where feed = 'slam'
),

files as (
    select
        feed,
        org_code,
        loaded_at
    from {{ ref('stg_landing__files') }}
),

provider_codes as (
    select
        code,
        provider_code,
        host_icb_code
    from {{ ref('int_provider__codes') }}
),

slam_senders as (
    select distinct files.org_code
    from files
    where files.feed = 'slam'
),

latest_load as (
    select max(activity_at) as latest_load_at
    from (
        select files.loaded_at as activity_at from files
        union all
        select rejected_files.seen_at as activity_at from rejected_files
    ) as load_activity
),

named as (
    select
        rejected_files.file_name,
        rejected_files.reason,
        rejected_files.seen_at,
        upper({{ regexp_replace_all('rejected_files.file_name', '[^A-Za-z0-9].*$', '') }}) as name_code
    from rejected_files
),

attributed as (
    select
        named.file_name,
        named.reason,
        named.seen_at,
        {{ resolved_provider_code('named.name_code', 'name') }} as provider_code,
        name_known.code is not null or name_trust.code is not null as is_known_provider
    from named
    {{ join_provider_codes('named.name_code', 'name') }}
    where named.name_code <> ''
),

own_files as (
    select attributed.*
    from attributed
    where
        attributed.is_known_provider
        or attributed.provider_code in (select slam_senders.org_code from slam_senders)
),

worded as (
    select
        own_files.provider_code,
        own_files.file_name,
        own_files.reason,
        own_files.seen_at,
        case
            when own_files.reason like 'name does not match%'
                then 'The name does not match <PROVIDER>_ACM_<FY>_M<MM>_<RECEIVED>.csv.'
            else upper(substr(own_files.reason, 1, 1)) || substr(own_files.reason, 2)
        end as problem,
        case
            when
                own_files.reason like 'name does not match%'
                or own_files.reason like 'received time%'
                or own_files.reason like 'financial year%'
                or own_files.reason like 'financial month%'
                then
                    'Send it again named like ' || own_files.provider_code || '_ACM_2526_M05_20250912093000.csv: '
                    || 'year 2526 = 2025/26, month M01 (April) to M12 (March), then when sent (YYYYMMDDHHMMSS).'
            when own_files.reason like 'missing required column%'
                then
                    'Add the missing column, under one of the headers listed, and send the whole file '
                    || 'again: a file without a required column is not loaded at all.'
            when own_files.reason like 'duplicate column%'
                then 'Keep one of the two columns that mean the same thing and send the file again.'
            when
                own_files.reason like 'cannot be parsed%'
                or own_files.reason like 'header row%'
                or own_files.reason like 'the first line%'
                or own_files.reason like 'byte 0x%'
                then
                    'Save the file as CSV (comma-separated, the header on the first line, quotes around '
                    || 'values that hold a comma or a line break, UTF-8 or Windows-1252) and send it again.'
            when own_files.reason like 'changed while%'
                then 'Nothing to do if the upload has finished: the file is read again the next night.'
            when own_files.reason like 'in a subfolder%'
                then 'Send files straight into the SLAM folder, not into a folder inside it.'
            else
                'Check the file against the SLAM file specification and send it again, or reply to '
                || 'this email if you believe it was sent correctly.'
        end as how_to_fix
    from own_files
),

final as (
    select
        worded.provider_code,
        worded.file_name,
        worded.reason,
        worded.problem,
        worded.how_to_fix,
        worded.seen_at,
        worded.seen_at >= latest_load.latest_load_at - interval {{ var('rejected_file_report_days') }} day
            as is_recent
    from worded
    cross join latest_load
)

select * from final
