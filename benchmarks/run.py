"""Run every benchmark and print its figures."""

from benchmarks import enrollment_1000


def main() -> None:
    print("enrollment_1000 (1,000 contacts, 2-day delay, email, on the embedded runtime)")
    for key, value in enrollment_1000.run().items():
        print(f"  {key:>28}: {value}")


if __name__ == "__main__":
    main()
