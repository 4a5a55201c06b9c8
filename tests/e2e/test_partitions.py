"""Month partitions made on demand by concurrent batches (sql/019_month_partitions.sql):
the order that deadlocked under sql/002's ensure_month_partitions now waits instead."""
import threading

import psycopg2


def test_two_batches_making_months_wait_for_each_other(server, cluster):
    """A has made January and will make February; B starts on February in between.
    Under 002, B took February's lock and waited for the table, which A held, while A
    waited for February's lock: PostgreSQL broke the deadlock by failing one batch."""
    a = psycopg2.connect(cluster.url)
    b = psycopg2.connect(cluster.url)
    a.autocommit = False
    b.autocommit = False
    errors = []
    try:
        with a.cursor() as ca:
            ca.execute("SELECT ensure_month_partitions('heat_observation', '2031-01-10', "
                       "'2031-01-20')")

            def batch_b():
                try:
                    with b.cursor() as cb:
                        cb.execute("SET lock_timeout = '20s'")
                        cb.execute("SELECT ensure_month_partitions('heat_observation', "
                                   "'2031-02-03', '2031-02-04')")
                    b.commit()
                except psycopg2.Error as e:  # a deadlock, or a wait that never ends
                    errors.append(e)
                    b.rollback()

            t = threading.Thread(target=batch_b)
            t.start()
            t.join(1.0)
            assert t.is_alive()  # B waits for A
            ca.execute("SET lock_timeout = '20s'")
            ca.execute("SELECT ensure_month_partitions('heat_observation', '2031-01-10', "
                       "'2031-02-20')")
            a.commit()
            t.join(30)
            assert not t.is_alive()
        assert errors == []
        months = cluster.psql("SELECT count(*) FROM pg_inherits WHERE inhparent ="
                              " 'heat_observation'::regclass AND inhrelid::regclass::text IN"
                              " ('heat_observation_2031_01', 'heat_observation_2031_02')")
        assert months == "2"
    finally:
        a.close()
        b.close()
