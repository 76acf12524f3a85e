"""placeholder"""


class GoSource:
    def recognize(self, value):
        return None

    def ls(self):
        return None

    def forget(self):
        pass


SOURCE = GoSource()
