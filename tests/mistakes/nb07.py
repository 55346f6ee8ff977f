"""Blind learner answers for notebook 07 (trade-offs measured): 7.1 bank account, 7.2 load_with_snapshot."""

NB = "07_*.ipynb"
A = "check_bank_account"
S = "check_load_with_snapshot"

_EVOLVE_OK = (
    "def evolve_account(balance, event):\n"
    "    if isinstance(event, Deposited):\n"
    "        return balance + event.amount\n"
    "    if isinstance(event, Withdrawn):\n"
    "        return balance - event.amount\n"
    "    return balance\n"
)

CASES = [
    # ---------------- 7.1 bank account ----------------
    (NB, A, "7.1 decide ignores the state: every withdrawal is accepted",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 evolve decides: evolve refuses a Withdrawn larger than the balance, decide never checks",
     "def evolve_account(balance, event):\n"
     "    if isinstance(event, Deposited):\n"
     "        return balance + event.amount\n"
     "    if event.amount > balance:\n"
     "        raise InsufficientFunds(f'{event.amount} > {balance}')\n"
     "    return balance - event.amount\n"
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 evolve checks funds too (double check in evolve and decide)",
     "def evolve_account(balance, event):\n"
     "    if isinstance(event, Deposited):\n"
     "        return balance + event.amount\n"
     "    if isinstance(event, Withdrawn):\n"
     "        if event.amount > balance:\n"
     "            raise InsufficientFunds('overdrawn')\n"
     "        return balance - event.amount\n"
     "    return balance\n"
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Withdraw) and command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 decide returns the new balance (state) instead of events",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return balance + command.amount\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return balance - command.amount\n"),
    (NB, A, "7.1 the command as the event: decide returns [command]",
     "def evolve_account(balance, event):\n"
     "    if isinstance(event, (Deposit, Deposited)):\n"
     "        return balance + event.amount\n"
     "    return balance - event.amount\n"
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Withdraw) and command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [command]\n"),
    (NB, A, "7.1 >= instead of >: withdrawing exactly the balance is refused",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount >= balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 funds checked for every command: a deposit larger than the balance is refused",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 wrong exception type: ValueError for insufficient funds",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise ValueError('insufficient funds')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 wrong exception type: InsufficientFunds for a non-positive amount",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise InsufficientFunds('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 accepts zero: checks amount < 0 instead of <= 0",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount < 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 no positivity check at all: negative deposits and withdrawals accepted",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 positivity checked only for deposits (negative withdrawal accepted)",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if isinstance(command, Deposit):\n"
     "        if command.amount <= 0:\n"
     "            raise ValueError('amount must be positive')\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 hard-coded account id acc-1 in the events",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited('acc-1', command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn('acc-1', command.amount)]\n"),
    (NB, A, "7.1 balance kept in a global variable instead of the state",
     "current_balance = Decimal('0')\n"
     "\n\ndef evolve_account(balance, event):\n"
     "    global current_balance\n"
     "    if isinstance(event, Deposited):\n"
     "        current_balance += event.amount\n"
     "    elif isinstance(event, Withdrawn):\n"
     "        current_balance -= event.amount\n"
     "    return current_balance\n"
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > current_balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 funds compared to the initial state instead of the balance given",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > account_initial_state:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 events as dicts instead of the frozen dataclasses",
     "def evolve_account(balance, event):\n"
     "    if event['type'] == 'Deposited':\n"
     "        return balance + event['amount']\n"
     "    return balance - event['amount']\n"
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [{'type': 'Deposited', 'account_id': command.account_id, 'amount': command.amount}]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [{'type': 'Withdrawn', 'account_id': command.account_id, 'amount': command.amount}]\n"),
    (NB, A, "7.1 own plain (non-dataclass) event classes shadowing the given ones",
     "class Deposited:\n"
     "    def __init__(self, account_id, amount):\n"
     "        self.account_id = account_id\n"
     "        self.amount = amount\n"
     "\n\nclass Withdrawn:\n"
     "    def __init__(self, account_id, amount):\n"
     "        self.account_id = account_id\n"
     "        self.amount = amount\n"
     "\n\n" + _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 float amounts in the events",
     "def evolve_account(balance, event):\n"
     "    if isinstance(event, Deposited):\n"
     "        return balance + Decimal(str(event.amount))\n"
     "    return balance - Decimal(str(event.amount))\n"
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, float(command.amount))]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, float(command.amount))]\n"),
    (NB, A, "7.1 decide returns a single event, not a list",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return Deposited(command.account_id, command.amount)\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return Withdrawn(command.account_id, command.amount)\n"),
    (NB, A, "7.1 insufficient funds returns no events instead of raising",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        return []\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 evolve adds for both event types (forgot the minus)",
     "def evolve_account(balance, event):\n"
     "    return balance + event.amount\n"
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 evolve replaces the balance with the event amount",
     "def evolve_account(balance, event):\n"
     "    if isinstance(event, Deposited):\n"
     "        return event.amount\n"
     "    return -event.amount\n"
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 decide's arguments swapped (balance, command)",
     _EVOLVE_OK +
     "\n\ndef decide_account(balance, command):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        raise InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),
    (NB, A, "7.1 returns the exception instead of raising it",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        return ValueError('amount must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if command.amount > balance:\n"
     "        return InsufficientFunds('not enough money')\n"
     "    return [Withdrawn(command.account_id, command.amount)]\n"),

    # ---------------- 7.2 load_with_snapshot ----------------
    (NB, S, "7.2 folds from the initial state, ignoring the snapshot",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    return fold(events_after)\n"),
    (NB, S, "7.2 swapped arguments to fold",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    return fold(snapshot, events_after)\n"),
    (NB, S, "7.2 returns only the snapshot (events after it dropped)",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    return snapshot\n"),
    (NB, S, "7.2 applies the events twice",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    state = fold(events_after, snapshot)\n"
     "    return fold(events_after, state)\n"),
    (NB, S, "7.2 copies the tally cell: reduce with evolve_counter",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    return reduce(evolve_counter, events_after, snapshot)\n"),
    (NB, S, "7.2 reuses the bank account's evolve_account",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    return reduce(evolve_account, events_after, snapshot)\n"),
    (NB, S, "7.2 only the last event applied to the snapshot",
     "from eventsim import evolve\n"
     "\n\ndef load_with_snapshot(snapshot, events_after):\n"
     "    if not events_after:\n"
     "        return snapshot\n"
     "    return evolve(snapshot, events_after[-1])\n"),
    (NB, S, "7.2 off by one: skips the first event after the snapshot",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    return fold(events_after[1:], snapshot)\n"),
    (NB, S, "7.2 events folded in reverse order",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    return fold(reversed(list(events_after)), snapshot)\n"),
    (NB, S, "7.2 return inside the loop: stops after the first event",
     "from eventsim import evolve\n"
     "\n\ndef load_with_snapshot(snapshot, events_after):\n"
     "    state = snapshot\n"
     "    for event in events_after:\n"
     "        state = evolve(state, event)\n"
     "        return state\n"
     "    return state\n"),
    (NB, S, "7.2 mutates the events list given (pops them off)",
     "from eventsim import evolve\n"
     "\n\ndef load_with_snapshot(snapshot, events_after):\n"
     "    state = snapshot\n"
     "    while events_after:\n"
     "        state = evolve(state, events_after.pop(0))\n"
     "    return state\n"),
    (NB, S, "7.2 consumes an iterator twice (works only on lists)",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    if not list(events_after):\n"
     "        return snapshot\n"
     "    return fold(events_after, snapshot)\n"),
    (NB, S, "7.2 treats the snapshot as an event: folds [snapshot] + events from the initial state",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    return fold([snapshot] + list(events_after))\n"),
]

RIGHT = [
    (NB, A, "7.1 right: isinstance",
     _EVOLVE_OK +
     "\n\ndef decide_account(command, balance):\n"
     "    if command.amount <= 0:\n"
     "        raise ValueError('amounts must be positive')\n"
     "    if isinstance(command, Deposit):\n"
     "        return [Deposited(command.account_id, command.amount)]\n"
     "    if isinstance(command, Withdraw):\n"
     "        if command.amount > balance:\n"
     "            raise InsufficientFunds(f'balance {balance} < {command.amount}')\n"
     "        return [Withdrawn(command.account_id, command.amount)]\n"
     "    raise TypeError(f'not an account command: {command!r}')\n"),
    (NB, A, "7.1 right: match/case",
     "def evolve_account(balance, event):\n"
     "    match event:\n"
     "        case Deposited(amount=amount):\n"
     "            return balance + amount\n"
     "        case Withdrawn(amount=amount):\n"
     "            return balance - amount\n"
     "    raise TypeError(f'not an account event: {event!r}')\n"
     "\n\ndef decide_account(command, balance):\n"
     "    match command:\n"
     "        case Deposit(account_id=account, amount=amount) if amount > 0:\n"
     "            return [Deposited(account, amount)]\n"
     "        case Withdraw(account_id=account, amount=amount) if amount > 0:\n"
     "            if amount > balance:\n"
     "                raise InsufficientFunds(account)\n"
     "            return [Withdrawn(account, amount)]\n"
     "        case Deposit() | Withdraw():\n"
     "            raise ValueError(f'amount must be positive: {command.amount}')\n"
     "    raise TypeError(f'unknown command {command!r}')\n"),
    (NB, S, "7.2 right: fold with a starting state",
     "def load_with_snapshot(snapshot, events_after):\n"
     "    return fold(events_after, snapshot)\n"),
    (NB, S, "7.2 right: functools.reduce with the order evolve",
     "from functools import reduce\n"
     "from eventsim import evolve\n"
     "\n\ndef load_with_snapshot(snapshot, events_after):\n"
     "    return reduce(evolve, events_after, snapshot)\n"),
]
