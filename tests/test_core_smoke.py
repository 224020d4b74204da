from smartcity.core.audit import verify_chain
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork


def test_unit_of_work_writes_audit(db):
    with UnitOfWork(db, Actor.system("test")) as uow:
        uow.audit("create", "thing", 1, after={"a": 1})
    with db.session() as s:
        assert verify_chain(s).checked == 1
