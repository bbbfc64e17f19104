"""Each product's items that are not canceled, kept by the database (webapp.orders.models.SeatTally):
the seat count under the event's lock reads one row per product instead of counting every seat
sold, and finds the seats given back among the event's unpaid orders (a partial index). Triggers
keep the tally in the transaction of every change to an item, whichever code makes it; a product
gets its row at 0 when it is made. Filled here from the items so far."""

from webapp.migrate import run_sql

_TABLE = (
    'CREATE TABLE "seat_tally" ("product_id" INTEGER NOT NULL PRIMARY KEY, "live_items" INTEGER NOT NULL, '
    'FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)'
)
_FILL = (
    'INSERT INTO "seat_tally" ("product_id", "live_items") '
    'SELECT "p"."id", (SELECT COUNT(*) FROM "order_item" AS "i" WHERE "i"."product_id" = "p"."id" '
    'AND NOT "i"."canceled") FROM "product" AS "p"'
)
# The event's unpaid orders (webapp.orders.models): where the seat count finds the released ones.
_UNPAID = 'CREATE INDEX "order_event_id_unpaid" ON "order" ("event_id") WHERE ("status" != \'paid\')'
_ADD = 'UPDATE "seat_tally" SET "live_items" = "live_items" + 1 WHERE "product_id" = NEW."product_id"'
_TAKE = 'UPDATE "seat_tally" SET "live_items" = "live_items" - 1 WHERE "product_id" = OLD."product_id"'
_CHANGED = 'OLD."canceled" IS DISTINCT FROM NEW."canceled" OR OLD."product_id" IS DISTINCT FROM NEW."product_id"'

SQL = {
    "sqlite": [
        _TABLE,
        _FILL,
        _UNPAID,
        'CREATE TRIGGER "seat_tally_product_added" AFTER INSERT ON "product" '
        'BEGIN INSERT INTO "seat_tally" ("product_id", "live_items") VALUES (NEW."id", 0); END',
        f'CREATE TRIGGER "seat_tally_item_added" AFTER INSERT ON "order_item" WHEN NOT NEW."canceled" '
        f"BEGIN {_ADD}; END",
        f'CREATE TRIGGER "seat_tally_item_deleted" AFTER DELETE ON "order_item" WHEN NOT OLD."canceled" '
        f"BEGIN {_TAKE}; END",
        f'CREATE TRIGGER "seat_tally_item_changed" AFTER UPDATE OF "canceled", "product_id" ON "order_item" '
        f"WHEN {_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} "
        f'BEGIN {_TAKE} AND NOT OLD."canceled"; {_ADD} AND NOT NEW."canceled"; END',
    ],
    "postgresql": [
        _TABLE,
        _FILL,
        _UNPAID,
        'CREATE FUNCTION "seat_tally_product_added"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
        'INSERT INTO "seat_tally" ("product_id", "live_items") VALUES (NEW."id", 0); RETURN NULL; END $$',
        'CREATE FUNCTION "seat_tally_item_changed"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
        f"IF TG_OP <> 'INSERT' AND NOT OLD.\"canceled\" THEN {_TAKE}; END IF; "
        f"IF TG_OP <> 'DELETE' AND NOT NEW.\"canceled\" THEN {_ADD}; END IF; "
        "RETURN NULL; END $$",
        'CREATE TRIGGER "seat_tally_product_added" AFTER INSERT ON "product" '
        'FOR EACH ROW EXECUTE PROCEDURE "seat_tally_product_added"()',
        'CREATE TRIGGER "seat_tally_item_added" AFTER INSERT ON "order_item" '
        'FOR EACH ROW WHEN (NOT NEW."canceled") EXECUTE PROCEDURE "seat_tally_item_changed"()',
        'CREATE TRIGGER "seat_tally_item_deleted" AFTER DELETE ON "order_item" '
        'FOR EACH ROW WHEN (NOT OLD."canceled") EXECUTE PROCEDURE "seat_tally_item_changed"()',
        'CREATE TRIGGER "seat_tally_item_changed" AFTER UPDATE OF "canceled", "product_id" ON "order_item" '
        f'FOR EACH ROW WHEN ({_CHANGED}) EXECUTE PROCEDURE "seat_tally_item_changed"()',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
