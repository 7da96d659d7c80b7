select id, customer, amount, cast(ordered_at as date) as ordered_at
from {{ ref('raw_orders') }}
{% if var('lane_fail_gate', false) %}union all select null, 'broken', 0, null{% endif %}
